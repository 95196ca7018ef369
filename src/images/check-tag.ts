import { quoteShort } from './quote-short.js';

/** The OCI distribution-spec tag grammar. */
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** A git sha, 7 to 40 hex characters: what CI tags images with, and the policy's default. */
export const DEFAULT_TAG_ALLOW = '^[0-9a-f]{7,40}$';

/** An app's tag rules from policy; `allow` defaults to {@link DEFAULT_TAG_ALLOW}. */
export interface TagRuleSet {
  allow?: string | undefined;
  deny?: string | undefined;
}

export type TagCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether promobot may write `tag`. Refused, in this order: anything outside the OCI tag grammar (which also keeps
 * out every character that would break YAML or a shell: quotes, `:`, spaces, newlines, `$`, `/`), `latest` in any
 * case (a moving tag defeats pinned GitOps), a tag the app's `allow` pattern does not match, one its `deny` pattern
 * matches. A pattern that is not a valid regular expression refuses every tag rather than allowing every tag.
 *
 * @example checkTag('latest', {}) // { ok: false, reason: 'tag "latest" is never written: …' }
 */
export function checkTag(tag: string, rules: TagRuleSet = {}): TagCheck {
  if (tag.length === 0) return { ok: false, reason: 'the tag is empty' };
  if (tag.length > 128)
    return { ok: false, reason: `tag ${quoteShort(tag)} is longer than the 128 characters OCI allows` };
  if (!OCI_TAG.test(tag)) {
    return {
      ok: false,
      reason: `tag ${quoteShort(tag)} is outside the OCI tag grammar [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`,
    };
  }
  if (tag.toLowerCase() === 'latest') {
    return {
      ok: false,
      reason: 'tag "latest" is never written: it moves, so the deploy repo would not say what runs',
    };
  }
  const allowSource = rules.allow ?? DEFAULT_TAG_ALLOW;
  const allow = compile(allowSource);
  if (allow === null)
    return {
      ok: false,
      reason: `the allow pattern ${quoteShort(allowSource)} is not a valid regular expression`,
    };
  if (!allow.test(tag))
    return {
      ok: false,
      reason: `tag ${quoteShort(tag)} does not match the allow pattern ${quoteShort(allowSource)}`,
    };
  if (rules.deny !== undefined) {
    const deny = compile(rules.deny);
    if (deny === null)
      return {
        ok: false,
        reason: `the deny pattern ${quoteShort(rules.deny)} is not a valid regular expression`,
      };
    if (deny.test(tag))
      return {
        ok: false,
        reason: `tag ${quoteShort(tag)} matches the deny pattern ${quoteShort(rules.deny)}`,
      };
  }
  return { ok: true };
}

function compile(source: string): RegExp | null {
  try {
    return new RegExp(source);
  } catch {
    return null;
  }
}
