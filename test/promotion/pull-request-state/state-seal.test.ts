import { describe, expect, it } from 'vitest';
import {
  createStateSeal,
  defuseMarkers,
  staleBlock,
  STATE_WRITE_TOLERANCE_MS,
  stateScope,
  statusCommentScope,
} from '../../../src/promotion/pull-request-state/state-seal.js';

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

describe('statusCommentScope', () => {
  it('binds a block to one comment of the PR, so a copy in another comment does not verify', () => {
    const seal = createStateSeal([KEY]);
    const here = statusCommentScope('gitea', 'bootcamp/notes-deploy', 7, 101);
    const signature = seal.sign(here, STATE)!;
    expect(seal.verify(here, STATE, signature)).toBe(true);
    expect(seal.verify(statusCommentScope('gitea', 'bootcamp/notes-deploy', 7, 102), STATE, signature)).toBe(
      false,
    );
    expect(seal.verify(SCOPE, STATE, signature)).toBe(false);
    // "#7@comment:1" and "#71@comment:..." must not meet: the number and the id are both delimited.
    expect(statusCommentScope('gitea', 'r/x', 7, 11)).not.toBe(statusCommentScope('gitea', 'r/x', 71, 1));
  });
});

describe('staleBlock', () => {
  const sealedAt = '2026-12-07T09:00:00.400Z';
  const at = (ms: number) => new Date(Date.parse(sealedAt) + ms).toISOString();

  it("takes a block the host's updated_at says was the last write, within the tolerance", () => {
    expect(staleBlock({ updatedAt: '2026-12-07T09:00:00Z', sealedAt, seq: 3, knownSeq: 0 })).toBeNull();
    expect(staleBlock({ updatedAt: at(STATE_WRITE_TOLERANCE_MS), sealedAt, seq: 3, knownSeq: 3 })).toBeNull();
    // Gitea answers with an offset, not Z.
    expect(staleBlock({ updatedAt: '2026-12-07T10:00:01+01:00', sealedAt, seq: 1, knownSeq: 0 })).toBeNull();
  });

  it('refuses a block whose comment was written later than that: someone edited it', () => {
    expect(
      staleBlock({ updatedAt: at(STATE_WRITE_TOLERANCE_MS + 1), sealedAt, seq: 3, knownSeq: 0 }),
    ).toMatch(/^the status comment was edited at .*, after promobot wrote its state block/);
    expect(
      staleBlock({ updatedAt: at(1_001), sealedAt, seq: 3, knownSeq: 0, toleranceMs: 1_000 }),
    ).not.toBeNull();
  });

  it('refuses a block older than the last write Redis remembers', () => {
    expect(staleBlock({ updatedAt: sealedAt, sealedAt, seq: 4, knownSeq: 5 })).toBe(
      'the state block is number 4, older than number 5 promobot wrote since',
    );
    expect(staleBlock({ updatedAt: sealedAt, sealedAt, seq: 5, knownSeq: 5 })).toBeNull();
  });

  it('refuses times it cannot read', () => {
    expect(staleBlock({ updatedAt: 'yesterday', sealedAt, seq: 1, knownSeq: 0 })).not.toBeNull();
    expect(staleBlock({ updatedAt: sealedAt, sealedAt: '', seq: 1, knownSeq: 0 })).not.toBeNull();
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
