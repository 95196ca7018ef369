// Byte-preserving edits of a YAML file's source text: parse with positions, compute each scalar's new text in its
// own quoting style, merge the edits and splice them in, so everything outside them stays as it was written.
// (Parsing policy files is src/yaml/.)
export { parseYamlSource, type YamlSource, type YamlSourceResult } from './parse-yaml-source.js';
export { renderScalar, isPlainSafe } from './render-scalar.js';
export { editScalar, scalarText, type ScalarEdit } from './edit-scalar.js';
export { makeEdit, type EditSpec } from './make-edit.js';
export { spliceEdits } from './splice-edits.js';
export { mergeEdits, type MergedEdits } from './merge-edits.js';
export { getPair } from './get-pair.js';
export { insertPairs } from './insert-pairs.js';
export { removePair } from './remove-pair.js';
export { lineBreakAt, lineEndAt, lineStartAt } from './line-end.js';
