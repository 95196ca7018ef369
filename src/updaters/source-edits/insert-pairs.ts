import { isScalar, Scalar, type YAMLMap } from 'yaml';
import type { ValueEdit } from '../types.js';
import { lineBreakAt, lineEndAt } from './line-end.js';
import { makeEdit } from './make-edit.js';
import type { YamlSource } from './parse-yaml-source.js';
import { renderScalar } from './render-scalar.js';

/**
 * One insertion that adds `pairs` to `map` in the map's own style: for a block map, new lines after its last pair
 * with its indentation, key quoting and line break; for a flow map, `, key: value` after its last value. Values take
 * the quoting style of `styleOf` (the entry's name, say). Null when the map has no pairs to take the style from.
 */
export function insertPairs(
  source: YamlSource,
  map: YAMLMap,
  pairs: readonly (readonly [key: string, value: string])[],
  styleOf: Scalar['type'],
  format: ValueEdit['format'],
): ValueEdit | null {
  const { text, lineCounter } = source;
  const first = map.items[0];
  const last = map.items.at(-1);
  if (first === undefined || last === undefined || !isScalar(first.key)) return null;
  const keyStyle =
    first.key.type === Scalar.QUOTE_SINGLE || first.key.type === Scalar.QUOTE_DOUBLE
      ? first.key.type
      : Scalar.PLAIN;
  const rendered = pairs.map(
    ([key, value]) =>
      `${renderScalar(keyStyle, key) ?? key}: ${renderScalar(styleOf, value) ?? JSON.stringify(value)}`,
  );
  const lastNode = (last.value ?? last.key) as { range?: [number, number, number] } | null;
  let at = lastNode?.range?.[1];
  if (at === undefined) return null;
  let replacement: string;
  if (map.flow === true) {
    replacement = rendered.map((pair) => `, ${pair}`).join('');
  } else {
    // A nested collection's value range may end after its own line break; step back onto its last line.
    while (at > 0 && (text[at - 1] === '\n' || text[at - 1] === '\r')) at -= 1;
    at = lineEndAt(text, at);
    const indent = ' '.repeat(lineCounter.linePos(first.key.range?.[0] ?? 0).col - 1);
    const lineBreak = lineBreakAt(text, at);
    replacement = rendered.map((pair) => `${lineBreak}${indent}${pair}`).join('');
  }
  return makeEdit(text, lineCounter, {
    format,
    start: at,
    end: at,
    replacement,
    before: '',
    after: pairs.map(([, v]) => v).join(' '),
  });
}
