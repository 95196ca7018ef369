import { isScalar, type Pair } from 'yaml';
import type { ValueEdit } from '../types.js';
import { editScalar, scalarText } from './edit-scalar.js';
import { lineEndAt, lineStartAt } from './line-end.js';
import { makeEdit } from './make-edit.js';
import type { YamlSource } from './parse-yaml-source.js';

/**
 * The edit that takes `pair` out of effect: its whole line when it stands alone on a line of a block map, else its
 * value emptied to `""` (inside a flow map, or first in a `- key:` item, removing it would touch its neighbours).
 * Null when it is already empty.
 */
export function removePair(source: YamlSource, pair: Pair, format: ValueEdit['format']): ValueEdit | null {
  const { text, lineCounter } = source;
  if (!isScalar(pair.key) || !isScalar(pair.value)) return null;
  const keyStart = pair.key.range?.[0];
  const valueEnd = pair.value.range?.[1];
  if (keyStart === undefined || valueEnd === undefined) return null;
  const lineStart = lineStartAt(text, keyStart);
  const lineEnd = lineEndAt(text, valueEnd);
  const rest = text.slice(valueEnd, lineEnd);
  const alone = /^[ ]*$/.test(text.slice(lineStart, keyStart)) && /^[ ]*(?:#.*)?$/.test(rest);
  if (alone) {
    // Take the line with its line break, so the lines around it stay as they were.
    const end = text[lineEnd] === '\r' ? lineEnd + 2 : text[lineEnd] === '\n' ? lineEnd + 1 : lineEnd;
    return makeEdit(text, lineCounter, {
      format,
      start: lineStart,
      end,
      replacement: '',
      before: scalarText(pair.value),
      after: '',
    });
  }
  const emptied = editScalar(source, pair.value, '', format);
  return emptied.kind === 'edit' ? emptied.edit : null;
}
