import { describe, expect, it } from 'vitest';
import { createStateSeal, defuseMarkers, stateScope } from '../../src/chatops/state-seal.js';

const KEY = 'k'.repeat(32);
const OLD = 'o'.repeat(32);
const SCOPE = stateScope('gitea', 'Bootcamp/Notes-Deploy', 7);
const STATE = '{"approvals":[{"by":"release-lead"}]}';

describe('createStateSeal', () => {
  it('verifies what it signed, for that PR and that state only', () => {
    const seal = createStateSeal([KEY]);
    const signature = seal.sign(SCOPE, STATE);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(seal.verify(SCOPE, STATE, signature!)).toBe(true);
    // A block copied to another PR, or with one approval added, does not verify.
    expect(seal.verify(stateScope('gitea', 'bootcamp/notes-deploy', 8), STATE, signature!)).toBe(false);
    expect(seal.verify(SCOPE, STATE.replace('release-lead', 'dev-author'), signature!)).toBe(false);
    expect(seal.verify(SCOPE, STATE, signature!.slice(0, -2))).toBe(false);
    expect(seal.verify(SCOPE, STATE, '')).toBe(false);
  });

  it('signs with the first key and verifies with any, so a key rotates without a lost state', () => {
    const before = createStateSeal([OLD]).sign(SCOPE, STATE)!;
    const rotating = createStateSeal([KEY, OLD]);
    expect(rotating.verify(SCOPE, STATE, before)).toBe(true);
    const after = rotating.sign(SCOPE, STATE)!;
    expect(after).not.toBe(before);
    expect(createStateSeal([KEY]).verify(SCOPE, STATE, after)).toBe(true);
    expect(createStateSeal([OLD]).verify(SCOPE, STATE, after)).toBe(false);
  });

  it('signs nothing and trusts nothing without a key', () => {
    const seal = createStateSeal([]);
    expect(seal.enabled).toBe(false);
    expect(seal.sign(SCOPE, STATE)).toBeNull();
    const signed = createStateSeal([KEY]).sign(SCOPE, STATE)!;
    expect(seal.verify(SCOPE, STATE, signed)).toBe(false);
    expect(createStateSeal([KEY]).enabled).toBe(true);
  });

  it('binds the signature to a keyed MAC of scope and state, not to either alone', () => {
    const seal = createStateSeal([KEY]);
    // Moving text between the scope and the state must not keep a signature valid.
    expect(seal.sign('a', 'b\nc')).not.toBe(seal.sign('a\nb', 'c'));
    expect(createStateSeal(['x'.repeat(32)]).sign(SCOPE, STATE)).not.toBe(seal.sign(SCOPE, STATE));
  });
});

describe('stateScope', () => {
  it('names the host, the repository without regard to case, and the PR', () => {
    expect(stateScope('gitea', 'Bootcamp/Notes-Deploy', 7)).toBe('gitea:bootcamp/notes-deploy#7');
    expect(stateScope('github', 'bootcamp/notes-deploy', 7)).not.toBe(SCOPE);
  });
});

describe('defuseMarkers', () => {
  it('leaves no HTML comment opener in text people wrote, and nothing else changed', () => {
    const echoed = defuseMarkers('/hold `<!-- promobot:chatops-status -->` and <!-- x --> <!--');
    expect(echoed).not.toContain('<!--');
    expect(echoed.replace(/\u2060/g, '')).toBe(
      '/hold `<!-- promobot:chatops-status -->` and <!-- x --> <!--',
    );
    expect(defuseMarkers('plain text')).toBe('plain text');
  });
});
