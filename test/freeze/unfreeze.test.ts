import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { authorize, type PermissionLookup } from '../../src/chatops/authorize.js';
import { parseCommands } from '../../src/chatops/index.js';
import {
  applyComment,
  emptyPromotionState,
  setCandidate,
} from '../../src/promotion/pull-request-state/index.js';
import { Environment } from '../../src/policy/schema.js';
import type { Permission } from '../../src/scm/types.js';

const HEAD_1 = '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const HEAD_2 = '2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

const [prod, eu] = z.array(Environment).parse(
  parse(`
- name: prod
  path: prod
  update: pull-request
  from: dev
  approvals: { approvers: [alice] }
  freeze: { windows: [{ reason: r, from: '2026-12-20T00:00:00Z', to: '2027-01-04T00:00:00Z' }], overrideApprovers: [team:bootcamp/sre] }
- name: eu
  path: eu
  update: pull-request
  from: dev
  approvals: { approvers: [alice] }
`),
);

const permissions: Record<string, Permission> = {
  alice: 'write',
  carol: 'write',
  mallory: 'write',
  rita: 'read',
};
const lookup: PermissionLookup = {
  getPermission: async (user) => permissions[user] ?? 'none',
  isTeamMember: async (org, team, user) => org === 'bootcamp' && team === 'sre' && user === 'carol',
};
const context = (environment: Environment, freezeOverrideApprovers?: string[]) => ({
  deployRepo: 'bootcamp/notes-deploy',
  botLogin: 'promobot',
  environments: [prod!, eu!],
  environment,
  author: null,
  ...(freezeOverrideApprovers ? { freezeOverrideApprovers } : {}),
});
const unfreeze = { name: 'unfreeze' } as const;
const who = (login: string) => ({ login, isBot: false });

describe('/unfreeze', () => {
  it('parses with no arguments, and refuses arguments', () => {
    expect(parseCommands('/unfreeze').commands).toMatchObject([{ command: unfreeze, line: 1 }]);
    expect(parseCommands('/unfreeze now please').problems).toMatchObject([
      { message: '/unfreeze takes no arguments; got "now please"' },
    ]);
  });

  it("is for the environment's freeze.overrideApprovers (a team here), and refuses anyone else with the reason", async () => {
    expect(await authorize(unfreeze, who('carol'), context(prod!), lookup)).toEqual({ allowed: true });
    expect(await authorize(unfreeze, who('alice'), context(prod!), lookup)).toEqual({
      allowed: false,
      reason: '@alice is not in team bootcamp/sre, which approve prod; only they may /unfreeze',
    });
    expect(await authorize(unfreeze, who('rita'), context(prod!), lookup)).toMatchObject({ allowed: false });
  });

  it("falls back to the policy's overrideApprovers, then to the environment's approvers", async () => {
    expect(await authorize(unfreeze, who('mallory'), context(eu!, ['mallory']), lookup)).toEqual({
      allowed: true,
    });
    expect(await authorize(unfreeze, who('alice'), context(eu!), lookup)).toEqual({ allowed: true });
    expect(await authorize(unfreeze, who('mallory'), context(eu!), lookup)).toEqual({
      allowed: false,
      reason: '@mallory is not in the freeze override list of eu (alice); only they may /unfreeze',
    });
  });

  it('unfreezes the current head only, once, and lands in the audit list', () => {
    const state = setCandidate(emptyPromotionState(), {
      tag: 'abc1234',
      headSha: HEAD_1,
      at: '2026-12-21T10:00:00Z',
      actor: 'promobot',
    });
    const at = '2026-12-21T10:05:00Z';
    const allowed = { command: unfreeze, authorization: { allowed: true } as const };
    const first = applyComment(state, { commentId: 1, actor: 'carol', at, commands: [allowed] });
    expect(first.results[0]).toMatchObject({
      outcome: 'accepted',
      message: '@carol lifted the freeze for abc1234: it merges now if approved and green',
    });
    expect(first.state.unfrozen).toEqual({ by: 'carol', at, headSha: HEAD_1 });
    expect(first.state.audit.at(-1)).toMatchObject({
      actor: 'carol',
      action: '/unfreeze',
      outcome: 'accepted',
    });
    const again = applyComment(first.state, { commentId: 2, actor: 'carol', at, commands: [allowed] });
    expect(again.results[0]?.outcome).toBe('unchanged');
    const refused = applyComment(state, {
      commentId: 3,
      actor: 'mallory',
      at,
      commands: [{ command: unfreeze, authorization: { allowed: false, reason: 'not an approver' } }],
    });
    expect(refused.state.unfrozen).toBeUndefined();
    expect(refused.state.audit.at(-1)).toMatchObject({
      actor: 'mallory',
      action: '/unfreeze',
      outcome: 'refused',
    });
    const next = setCandidate(first.state, { tag: 'def5678', headSha: HEAD_2, at, actor: 'promobot' });
    expect(next.unfrozen?.headSha).toBe(HEAD_1);
  });
});
