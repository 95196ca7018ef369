import type { ValueEdit } from '../types.js';

export interface MergedEdits {
  edits: ValueEdit[];
  /** Edits dropped because another format already edits the same bytes differently. */
  conflicts: string[];
}

/**
 * Joins the edits of several formats so no byte range is edited twice: an edit identical to one already taken (two
 * formats found the same value, e.g. an `image:` line that also carries a marker) is dropped silently; one that
 * overlaps differently is dropped and reported as a conflict.
 */
export function mergeEdits(groups: readonly (readonly ValueEdit[])[]): MergedEdits {
  const taken: ValueEdit[] = [];
  const conflicts: string[] = [];
  for (const edit of groups.flat()) {
    const clash = taken.find((other) => overlaps(edit, other));
    if (clash === undefined) {
      taken.push(edit);
    } else if (!(
      clash.start === edit.start &&
      clash.end === edit.end &&
      clash.replacement === edit.replacement
    )) {
      conflicts.push(
        `line ${edit.line}: ${clash.format} writes ${JSON.stringify(clash.after)} where ${edit.format} writes ${JSON.stringify(edit.after)}`,
      );
    }
  }
  return { edits: taken.sort((a, b) => a.start - b.start), conflicts };
}

function overlaps(a: ValueEdit, b: ValueEdit): boolean {
  if (a.start === a.end || b.start === b.end) {
    // An insertion clashes with an edit that spans its point, or with another insertion at the same point.
    if (a.start === b.start) return true;
    const point = a.start === a.end ? a.start : b.start;
    const span = a.start === a.end ? b : a;
    return span.start < point && point < span.end;
  }
  return a.start < b.end && b.start < a.end;
}
