import type { ValueEdit } from '../types.js';

/**
 * Applies edits to `text` in one pass, from the last to the first so earlier offsets stay valid. The edits must not
 * overlap (see `mergeEdits`); text outside their ranges is copied byte for byte.
 */
export function spliceEdits(text: string, edits: readonly ValueEdit[]): string {
  const ordered = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let cursor = 0;
  for (const edit of ordered) {
    parts.push(text.slice(cursor, edit.start), edit.replacement);
    cursor = edit.end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}
