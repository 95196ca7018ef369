import { describe, expect, it } from 'vitest';
import { checkDigest, checkTag } from '../../src/images/index.js';

describe('images/checkTag()', () => {
  it('accepts a git sha under the default rules', () => {
    expect(checkTag('3f9c2ab')).toEqual({ ok: true });
    expect(checkTag('3f9c2ab4e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6')).toEqual({ ok: true });
  });

  it.each([
    ['latest', /"latest" is never written/],
    ['LATEST', /"latest" is never written/],
    ['../x', /outside the OCI tag grammar/],
    ['a b', /outside the OCI tag grammar/],
    ['$(x)', /outside the OCI tag grammar/],
    ['abc1234"', /outside the OCI tag grammar/],
    ['abc:1234', /outside the OCI tag grammar/],
    ['abc1234\nkind: Secret', /outside the OCI tag grammar/],
    ['-abc1234', /outside the OCI tag grammar/],
    ['', /empty/],
    ['v1.2.3', /does not match the allow pattern "\^\[0-9a-f\]\{7,40\}\$"/],
    ['abc12', /does not match the allow pattern/],
  ])('refuses %j and says why', (tag, reason) => {
    const result = checkTag(tag);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('refuses a 10 KB tag without quoting all of it back', () => {
    const result = checkTag('a'.repeat(10_240));
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/\(10240 characters\) is longer than the 128 characters/),
    });
    expect(!result.ok && result.reason.length).toBeLessThan(200);
  });

  it('applies the app allow and deny patterns, deny last', () => {
    const rules = { allow: '^v\\d+\\.\\d+\\.\\d+(-rc\\d+)?$', deny: '-rc' };
    expect(checkTag('v1.2.3', rules)).toEqual({ ok: true });
    expect(checkTag('v1.2.3-rc1', rules)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/matches the deny pattern "-rc"/),
    });
    expect(checkTag('3f9c2ab', rules)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/allow pattern/),
    });
  });

  it('refuses every tag when a pattern is not a regular expression', () => {
    expect(checkTag('3f9c2ab', { allow: '([' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not a valid regular expression/),
    });
    expect(checkTag('3f9c2ab', { deny: '([' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/deny pattern.*not a valid/),
    });
  });

  it('never lets an allow pattern write latest', () => {
    expect(checkTag('latest', { allow: '.*' }).ok).toBe(false);
  });
});

describe('images/checkDigest()', () => {
  it('accepts sha256 and 64 lowercase hex only', () => {
    expect(checkDigest(`sha256:${'0a'.repeat(32)}`)).toEqual({ ok: true });
    expect(checkDigest(`sha256:${'0A'.repeat(32)}`).ok).toBe(false);
    expect(checkDigest(`sha512:${'0a'.repeat(64)}`).ok).toBe(false);
    expect(checkDigest('sha256:abc').ok).toBe(false);
  });
});
