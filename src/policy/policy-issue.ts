/**
 * A problem found in one policy document, before it has a position: where it is (a path from the document root,
 * as zod reports them) and what is wrong. `target: 'key'` points at the key rather than its value (an unknown or
 * misplaced key).
 */
export interface PolicyIssue {
  path: readonly (string | number)[];
  message: string;
  target?: 'key' | 'value';
}

/** `['spec', 'environments', 2, 'from']` → `spec.environments[2].from`, as messages name a field. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(document)' : out;
}
