import type { ExistingHook, WantedHook } from '../hosts/ports/hook-model.js';

export type HookDecision =
  | { readonly action: 'create' }
  | { readonly action: 'update'; readonly id: number; readonly differences: readonly string[] }
  | { readonly action: 'keep'; readonly id: number };

/**
 * Whether a host's listed event covers a wanted one. Gitea lists some events finer than they were asked for
 * (`pull_request_review` as `pull_request_review_approved`, `_rejected`, `_comment`), so a finer event counts.
 */
function covers(listed: readonly string[], wanted: string): boolean {
  return listed.some((event) => event === wanted || event.startsWith(`${wanted}_`));
}

/** Two URLs are one hook's URL when they differ at most in a trailing slash. */
function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** What is different about `hook`, in words for the output; empty when it is as wanted. */
export function hookDifferences(hook: ExistingHook, wanted: WantedHook): string[] {
  const differences: string[] = [];
  if (!hook.active) differences.push('inactive');
  const missing = wanted.events.filter((event) => !covers(hook.events, event));
  if (missing.length > 0) differences.push(`events lack ${missing.join(', ')}`);
  for (const [key, value] of Object.entries(wanted.settings)) {
    const shown = hook.settings[key];
    if (shown !== undefined && shown !== value) differences.push(`${key} is ${shown}, not ${value}`);
  }
  return differences;
}

/**
 * Pure decision of `webhooks sync` for one target: the hook at the wanted URL is kept when it matches, updated
 * when it differs, created when there is none. Hooks at other URLs are never touched: they are not promobot's.
 */
export function decideHookChange(existing: readonly ExistingHook[], wanted: WantedHook): HookDecision {
  const ours = existing.filter((hook) => sameUrl(hook.url, wanted.url));
  if (ours.length === 0) return { action: 'create' };
  // Of several hooks at our URL (made by hand), repair the one closest to wanted and leave the rest alone.
  const ranked = ours
    .map((hook) => ({ hook, differences: hookDifferences(hook, wanted) }))
    .sort((a, b) => a.differences.length - b.differences.length || a.hook.id - b.hook.id);
  const best = ranked[0]!;
  return best.differences.length === 0
    ? { action: 'keep', id: best.hook.id }
    : { action: 'update', id: best.hook.id, differences: best.differences };
}
