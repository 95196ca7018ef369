import { expect } from 'vitest';
import type { ValueEdit } from '../../../src/updaters/index.js';

/**
 * Asserts that `after` is `before` with exactly `edits` applied: every byte outside the edited ranges is the same,
 * each edit's source is what the original held there, and the replacement is what the new text holds.
 */
export function expectOnlyValuesChanged(before: string, after: string, edits: readonly ValueEdit[]): void {
  let from = 0;
  let to = 0;
  for (const edit of [...edits].sort((a, b) => a.start - b.start)) {
    const untouched = before.slice(from, edit.start);
    expect(after.slice(to, to + untouched.length)).toBe(untouched);
    to += untouched.length;
    expect(before.slice(edit.start, edit.end)).toBe(edit.source);
    expect(after.slice(to, to + edit.replacement.length)).toBe(edit.replacement);
    to += edit.replacement.length;
    from = edit.end;
  }
  expect(after.slice(to)).toBe(before.slice(from));
}
