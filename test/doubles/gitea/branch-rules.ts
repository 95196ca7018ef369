/**
 * How Gitea picks the protection rule of a branch, modelled on its own code (go-gitea/gitea):
 *
 * - models/git/protected_branch.go: a rule name with one of glob's special bytes (`IsRuleNameSpecial`) is a glob,
 *   compiled by gobwas/glob with `/` as separator (`loadGlob`), so `*` and `?` stay within a path segment and `**`
 *   crosses them; a plain name matches `strings.EqualFold`, case ignored. A glob that does not compile matches its
 *   name literally (`glob.QuoteMeta`).
 * - models/git/protected_branch_list.go `sort` + `GetFirstMatched`: plain names first, then globs in priority order
 *   (the `priority` field, Gitea ≥ 1.23; creation order before), and the first rule that matches decides alone.
 */

const SPECIAL = /[*?[\]{}\\]/;

/** Whether Gitea treats `name` as a glob. */
export function isGlob(name: string): boolean {
  return SPECIAL.test(name);
}

const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The gobwas glob as a regular expression body (POSIX ERE compatible), or undefined when it does not compile. */
export function globSource(glob: string): string | undefined {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i]!;
    if (c === '\\') {
      if (i + 1 >= glob.length) return undefined;
      out += quote(glob[i + 1]!);
      i += 1;
    } else if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i += 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) return undefined;
      const inner = glob.slice(i + 1, close);
      out += inner.startsWith('!') ? `[^${inner.slice(1)}]` : `[${inner}]`;
      i = close;
    } else if (c === '{') {
      depth += 1;
      out += '(';
    } else if (c === '}' && depth > 0) {
      depth -= 1;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += quote(c);
  }
  return depth === 0 ? out : undefined;
}

/** The anchored pattern a rule name matches branches with, and whether case is ignored (plain names). */
export function rulePattern(name: string): { source: string; ignoreCase: boolean } {
  if (!isGlob(name)) return { source: `^${quote(name)}$`, ignoreCase: true };
  return { source: `^${globSource(name) ?? quote(name)}$`, ignoreCase: false };
}

/** Rules in the order Gitea tries them. */
export function inGiteaOrder<T extends { rule_name?: unknown; priority?: unknown }>(
  rules: readonly T[],
): T[] {
  return rules
    .map((rule, index) => ({ rule, index, glob: isGlob(String(rule.rule_name ?? '')) }))
    .sort(
      (a, b) =>
        Number(a.glob) - Number(b.glob) ||
        (a.glob ? Number(a.rule.priority ?? 0) - Number(b.rule.priority ?? 0) : 0) ||
        a.index - b.index,
    )
    .map(({ rule }) => rule);
}

/** The rule Gitea applies to `branch`, if any. */
export function firstMatch<T extends { rule_name?: unknown; priority?: unknown }>(
  rules: readonly T[],
  branch: string,
): T | undefined {
  return inGiteaOrder(rules).find((rule) => {
    const { source, ignoreCase } = rulePattern(String(rule.rule_name ?? ''));
    return new RegExp(source, ignoreCase ? 'i' : '').test(branch);
  });
}
