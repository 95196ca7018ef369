import type { LineCounter } from 'yaml';
import type { ValueEdit } from '../types.js';

export interface EditSpec {
  format: ValueEdit['format'];
  start: number;
  end: number;
  replacement: string;
  before: string;
  after: string;
}

/** A {@link ValueEdit} with its line, column and original source filled in from `text`. */
export function makeEdit(text: string, lineCounter: LineCounter, spec: EditSpec): ValueEdit {
  const { line, col } = lineCounter.linePos(spec.start);
  return { ...spec, line, column: col, source: text.slice(spec.start, spec.end) };
}
