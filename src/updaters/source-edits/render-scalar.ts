import { parse, Scalar } from 'yaml';

/** Characters a value may have and still be written plain in both block and flow context. */
const PLAIN_SAFE = /^[A-Za-z0-9_][A-Za-z0-9_./:@+-]*$/;

/**
 * The source text for `value` in the quoting style of `node` (plain, single or double quoted), or null for a block
 * scalar (`|`, `>`), which is not rewritten.
 *
 * A plain value that YAML would read as something other than that string (`1234567` and `1234e56` are numbers in
 * YAML 1.2 and 1.1 — real git shas look like that) is double quoted instead: the alternative is a deploy repo whose
 * image tag is silently a float.
 */
export function renderScalar(type: Scalar['type'], value: string): string | null {
  switch (type) {
    case Scalar.PLAIN:
    case undefined:
      return isPlainSafe(value) ? value : JSON.stringify(value);
    case Scalar.QUOTE_SINGLE:
      return value.includes('\n') ? JSON.stringify(value) : `'${value.replaceAll("'", "''")}'`;
    case Scalar.QUOTE_DOUBLE:
      // JSON string escapes are a subset of YAML double-quoted escapes.
      return JSON.stringify(value);
    default:
      return null;
  }
}

/** Whether `value` written plain reads back as the same string under both the YAML 1.2 core and 1.1 schemas. */
export function isPlainSafe(value: string): boolean {
  if (!PLAIN_SAFE.test(value) || value.endsWith(':')) return false;
  // No number, boolean, null or timestamp contains a slash: image references need no parse.
  if (value.includes('/')) return true;
  return readsAs(value, '1.2') && readsAs(value, '1.1');
}

function readsAs(value: string, version: '1.1' | '1.2'): boolean {
  try {
    return parse(value, { version }) === value;
  } catch {
    return false;
  }
}
