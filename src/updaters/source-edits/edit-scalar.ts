import type { Scalar } from 'yaml';
import type { ValueEdit } from '../types.js';
import { makeEdit } from './make-edit.js';
import { renderScalar } from './render-scalar.js';
import type { YamlSource } from './parse-yaml-source.js';

export type ScalarEdit =
  { kind: 'edit'; edit: ValueEdit } | { kind: 'current' } | { kind: 'unsupported'; reason: string };

/**
 * The edit that makes `node` read `value`, in the node's own quoting style; `current` when it already reads exactly
 * that string (a number that looks like the tag is not current: it is rewritten as a string).
 */
export function editScalar(
  source: YamlSource,
  node: Scalar,
  value: string,
  format: ValueEdit['format'],
): ScalarEdit {
  if (node.value === value) return { kind: 'current' };
  const [start, end] = node.range ?? [];
  if (start === undefined || end === undefined)
    return { kind: 'unsupported', reason: 'the value has no source range' };
  const replacement = renderScalar(node.type, value);
  const { line } = source.lineCounter.linePos(start);
  if (replacement === null) {
    return {
      kind: 'unsupported',
      reason: `line ${line}: a block scalar (| or >) is not rewritten; use a plain or quoted value`,
    };
  }
  // An empty value (`tag:`) has a zero-width range right after the colon; the new value needs its separating space.
  const separator = start === end && start > 0 && !/[ \t]/.test(source.text[start - 1] ?? '') ? ' ' : '';
  return {
    kind: 'edit',
    edit: makeEdit(source.text, source.lineCounter, {
      format,
      start,
      end,
      replacement: `${separator}${replacement}`,
      before: scalarText(node),
      after: value,
    }),
  };
}

/** A scalar's value as text: what a reader of the YAML sees (`null` for an empty value). */
export function scalarText(node: Scalar): string {
  return node.value === null || node.value === undefined ? '' : String(node.value);
}
