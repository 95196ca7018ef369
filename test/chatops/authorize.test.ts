import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { Environment } from '../../src/policy/schema.js';
import type { Permission } from '../../src/scm/types.js';
import {
  Actor,
  Authorization,
  authorize,
  type AuthorizeContext,
  type PermissionLookup,
} from '../../src/chatops/authorize.js';
import type { Command } from '../../src/promotion/pull-request-state/command.js';

const environments = z.array(Environment).parse(
  parse(`
- { name: dev, path: chat-ui/dev, update: commit }
- { name: staging, path: chat-ui/staging, update: pull-request, from: dev, autoMerge: true }
- name: prod
  path: chat-ui/prod
  update: pull-request
  from: staging
  approvals: { required: 2, approvers: [team:bootcamp/sre, release-lead], allowAuthor: false }
`),
);

function env(name: string): Environment {
  const found = environments.find((e) => e.name === name);
  if (!found) throw new Error(`no environment ${name}`);
  return found;
}

/** What the host would answer: permissions per user and team members; every question is recorded. */
function host(permissions: Record<string, Permission>, teams: Record<string, string[]> = {}) {
  const asked: string[] = [];
  const lookup: PermissionLookup = {
    getPermission: async (user) => {
      asked.push(`permission ${user}`);
      return permissions[user] ?? 'none';
    },
    isTeamMember: async (org, team, user) => {
      asked.push(`team ${org}/${team} ${user}`);
      return (teams[`${org}/${team}`] ?? []).includes(user);
    },
  };
  return { lookup, asked };
}

function context(overrides: Partial<AuthorizeContext> = {}): AuthorizeContext {
  return {
    deployRepo: 'bootcamp/notes-deploy',
    botLogin: 'promobot',
    environments,
    environment: env('prod'),
    author: 'alice',
    ...overrides,
  };
}

const approve: Command = { name: 'approve', cancel: false };
const human = (login: string) => ({ login, isBot: false });

describe('chatops/authorize()', () => {
  describe('/approve', () => {
    it('allows a listed approver with write permission', async () => {
      const { lookup } = host({ 'release-lead': 'write' });
      expect(await authorize(approve, human('release-lead'), context(), lookup)).toEqual({ allowed: true });
    });

    it("allows an approver of the bot's own promotion PR, which no person asked for", async () => {
      const { lookup } = host({ 'release-lead': 'write', alice: 'write' }, { 'bootcamp/sre': ['alice'] });
      const botOpened = context({ author: null });
      expect(await authorize(approve, human('release-lead'), botOpened, lookup)).toEqual({ allowed: true });
      expect(await authorize(approve, human('alice'), botOpened, lookup)).toEqual({ allowed: true });
    });

    it('allows a listed approver without asking the host about any team', async () => {
      const { lookup, asked } = host({ 'release-lead': 'write' });
      expect(await authorize(approve, human('release-lead'), context(), lookup)).toEqual({ allowed: true });
      expect(asked).toEqual(['permission release-lead']);
    });

    it('allows a member of an approver team, asking the host', async () => {
      const { lookup, asked } = host({ carol: 'write' }, { 'bootcamp/sre': ['carol'] });
      expect(await authorize(approve, human('carol'), context(), lookup)).toEqual({ allowed: true });
      expect(asked).toEqual(['permission carol', 'team bootcamp/sre carol']);
    });

    it('compares logins without regard to case', async () => {
      const { lookup } = host({ 'Release-Lead': 'admin' });
      expect(await authorize(approve, human('Release-Lead'), context(), lookup)).toEqual({ allowed: true });
    });

    it('refuses the author of the promotion, saying why', async () => {
      const { lookup } = host({ alice: 'admin' }, { 'bootcamp/sre': ['alice'] });
      expect(await authorize(approve, human('alice'), context(), lookup)).toEqual({
        allowed: false,
        reason:
          '@alice asked for this promotion and cannot approve it: the policy of prod does not let authors approve (approvals.allowAuthor)',
      });
    });

    it("refuses whoever asked for the promotion or rollback, on the bot's own PR too, and no one else", async () => {
      const { lookup } = host({ 'release-lead': 'write', carol: 'write' }, { 'bootcamp/sre': ['carol'] });
      const asked = context({ author: null, requesters: ['Release-Lead'] });
      expect(await authorize(approve, human('release-lead'), asked, lookup)).toEqual({
        allowed: false,
        reason:
          '@release-lead asked for this promotion and cannot approve it: the policy of prod does not let authors approve (approvals.allowAuthor)',
      });
      expect(await authorize(approve, human('carol'), asked, lookup)).toEqual({ allowed: true });
      // A PR author and a requester are both authors.
      const both = context({ author: 'alice', requesters: ['release-lead'] });
      expect((await authorize(approve, human('release-lead'), both, lookup)).allowed).toBe(false);
      expect(await authorize(approve, human('carol'), both, lookup)).toEqual({ allowed: true });
    });

    it('lets a requester approve when the policy lets authors approve', async () => {
      const lenient = Environment.parse({
        ...env('prod'),
        approvals: { required: 1, approvers: [], allowAuthor: true },
      });
      const { lookup } = host({ 'release-lead': 'write' });
      const asked = context({ environment: lenient, author: null, requesters: ['release-lead'] });
      expect(await authorize(approve, human('release-lead'), asked, lookup)).toEqual({ allowed: true });
    });

    it('lets the author approve when the policy allows it', async () => {
      const lenient = Environment.parse({
        ...env('prod'),
        approvals: { required: 1, approvers: [], allowAuthor: true },
      });
      const { lookup } = host({ alice: 'write' });
      expect(await authorize(approve, human('alice'), context({ environment: lenient }), lookup)).toEqual({
        allowed: true,
      });
    });

    it('refuses a writer who is neither listed nor in an approver team, asking only about teams', async () => {
      const { lookup, asked } = host({ bob: 'write' }, { 'bootcamp/sre': ['carol'] });
      expect(await authorize(approve, human('bob'), context(), lookup)).toEqual({
        allowed: false,
        reason: '@bob is not in team bootcamp/sre or the approvers list of prod (release-lead)',
      });
      expect(asked).toEqual(['permission bob', 'team bootcamp/sre bob']);
    });

    it('names only the users when the approvers are all users', async () => {
      const usersOnly = Environment.parse({
        ...env('prod'),
        approvals: { approvers: ['release-lead', 'sam'] },
      });
      const { lookup, asked } = host({ bob: 'write' });
      expect(await authorize(approve, human('bob'), context({ environment: usersOnly }), lookup)).toEqual({
        allowed: false,
        reason: '@bob is not in the approvers list of prod (release-lead, sam)',
      });
      expect(asked).toEqual(['permission bob']);
    });

    it('names three or more teams as a list', async () => {
      const threeTeams = Environment.parse({
        ...env('prod'),
        approvals: { approvers: ['team:bootcamp/sre', 'team:bootcamp/leads', 'team:bootcamp/oncall'] },
      });
      const { lookup } = host({ bob: 'write' });
      expect(await authorize(approve, human('bob'), context({ environment: threeTeams }), lookup)).toEqual({
        allowed: false,
        reason: '@bob is not in teams bootcamp/sre, bootcamp/leads or bootcamp/oncall, which approve prod',
      });
    });

    it('names only the teams when the approvers are all teams', async () => {
      const teamsOnly = Environment.parse({
        ...env('prod'),
        approvals: { approvers: ['team:bootcamp/sre', 'team:bootcamp/leads'] },
      });
      const { lookup, asked } = host({ bob: 'write' });
      expect(await authorize(approve, human('bob'), context({ environment: teamsOnly }), lookup)).toEqual({
        allowed: false,
        reason: '@bob is not in teams bootcamp/sre or bootcamp/leads, which approve prod',
      });
      expect(asked).toEqual(['permission bob', 'team bootcamp/sre bob', 'team bootcamp/leads bob']);
    });

    it('lets anyone with write approve when the approvers list is empty', async () => {
      const open = Environment.parse({ ...env('prod'), approvals: { required: 1 } });
      const { lookup } = host({ dave: 'write' });
      expect(await authorize(approve, human('dave'), context({ environment: open }), lookup)).toEqual({
        allowed: true,
      });
    });

    it('refuses a listed approver who lacks write permission on the deploy repo', async () => {
      const { lookup, asked } = host({ 'release-lead': 'read' });
      expect(await authorize(approve, human('release-lead'), context(), lookup)).toEqual({
        allowed: false,
        reason: '@release-lead has read permission on bootcamp/notes-deploy; /approve needs write permission',
      });
      expect(asked).toEqual(['permission release-lead']);
    });

    it('lets a writer withdraw an approval without the approver checks', async () => {
      const { lookup } = host({ alice: 'write' });
      expect(await authorize({ name: 'approve', cancel: true }, human('alice'), context(), lookup)).toEqual({
        allowed: true,
      });
    });

    it('refuses /approve on an issue, which has no promotion to approve', async () => {
      const { lookup } = host({ 'release-lead': 'write' });
      expect(await authorize(approve, human('release-lead'), context({ environment: null }), lookup)).toEqual(
        {
          allowed: false,
          reason: '/approve works only on a promotion PR',
        },
      );
    });
  });

  describe('bots', () => {
    it('never takes a command from a bot, not even /help, and asks the host nothing', async () => {
      const { lookup, asked } = host({ 'renovate[bot]': 'admin', promobot: 'admin', ci: 'admin' });
      for (const actor of [human('renovate[bot]'), human('promobot'), { login: 'ci', isBot: true }]) {
        expect(await authorize({ name: 'help' }, actor, context(), lookup)).toEqual({
          allowed: false,
          reason: `promobot takes no commands from bots (@${actor.login})`,
        });
      }
      expect(asked).toEqual([]);
    });
  });

  describe('the write floor', () => {
    it.each<[Command, string]>([
      [{ name: 'hold', reason: null }, '/hold'],
      [{ name: 'unhold' }, '/unhold'],
      [{ name: 'gates' }, '/gates'],
      [{ name: 'promote', env: 'prod' }, '/promote prod'],
      [{ name: 'rollback', env: 'prod', tag: null }, '/rollback prod'],
    ])('refuses %o to a user without write permission', async (command, written) => {
      const { lookup } = host({ erin: 'read' });
      expect(await authorize(command, human('erin'), context(), lookup)).toEqual({
        allowed: false,
        reason: `@erin has read permission on bootcamp/notes-deploy; ${written} needs write permission`,
      });
    });

    it('says "no access" for a user with no permission at all', async () => {
      const { lookup } = host({});
      expect(await authorize({ name: 'unhold' }, human('mallory'), context(), lookup)).toEqual({
        allowed: false,
        reason: '@mallory has no access to bootcamp/notes-deploy; /unhold needs write permission',
      });
    });

    it('lets a writer who is no approver hold a promotion', async () => {
      const { lookup } = host({ bob: 'write' });
      expect(await authorize({ name: 'hold', reason: 'incident' }, human('bob'), context(), lookup)).toEqual({
        allowed: true,
      });
    });

    it('opens /status and /help to anyone who can comment, without asking the host', async () => {
      const { lookup, asked } = host({});
      expect(await authorize({ name: 'status' }, human('visitor'), context(), lookup)).toEqual({
        allowed: true,
      });
      expect(
        await authorize({ name: 'help' }, human('visitor'), context({ environment: null }), lookup),
      ).toEqual({
        allowed: true,
      });
      expect(asked).toEqual([]);
    });
  });

  describe('targets', () => {
    it('allows /promote and /rollback on an issue when they name the environment', async () => {
      const { lookup } = host({ bob: 'write' });
      const onIssue = context({ environment: null, author: null });
      expect(await authorize({ name: 'promote', env: 'prod' }, human('bob'), onIssue, lookup)).toEqual({
        allowed: true,
      });
      expect(
        await authorize({ name: 'rollback', env: null, tag: null }, human('bob'), onIssue, lookup),
      ).toEqual({
        allowed: false,
        reason: 'name the environment to roll back: /rollback <env>',
      });
    });

    it("allows /rollback naming an environment, on an issue or on another environment's PR", async () => {
      const { lookup } = host({ bob: 'write' });
      const rollbackProd: Command = { name: 'rollback', env: 'prod', tag: null };
      expect(
        await authorize(rollbackProd, human('bob'), context({ environment: null, author: null }), lookup),
      ).toEqual({ allowed: true });
      const onStaging = context({ environment: env('staging') });
      expect(await authorize(rollbackProd, human('bob'), onStaging, lookup)).toEqual({ allowed: true });
      expect(
        await authorize({ name: 'rollback', env: 'qa', tag: null }, human('bob'), onStaging, lookup),
      ).toEqual({
        allowed: false,
        reason: 'there is no environment "qa" in the policy (environments: dev, staging, prod)',
      });
    });

    it('allows rolling back an entry environment, which has no source to promote from', async () => {
      const { lookup } = host({ bob: 'write' });
      expect(
        await authorize({ name: 'rollback', env: 'dev', tag: 'abc1234' }, human('bob'), context(), lookup),
      ).toEqual({ allowed: true });
    });

    it('refuses an environment the policy does not have, listing those it has', async () => {
      const { lookup } = host({ bob: 'write' });
      expect(await authorize({ name: 'promote', env: 'qa' }, human('bob'), context(), lookup)).toEqual({
        allowed: false,
        reason: 'there is no environment "qa" in the policy (environments: dev, staging, prod)',
      });
    });

    it('refuses to promote into an entry environment, which image pushes feed', async () => {
      const { lookup } = host({ bob: 'write' });
      expect(await authorize({ name: 'promote', env: 'dev' }, human('bob'), context(), lookup)).toEqual({
        allowed: false,
        reason: 'dev has no source environment to promote from: image pushes feed it',
      });
    });
  });
});

describe('chatops/Actor and Authorization', () => {
  it('reads an actor back as it was written, and refuses one without a login', () => {
    expect(Actor.parse({ login: 'alice', isBot: false })).toEqual({ login: 'alice', isBot: false });
    expect(Actor.safeParse({ login: '', isBot: false }).success).toBe(false);
  });

  it('reads a stored authorization back with its verdict and reason', () => {
    const refused = { allowed: false, reason: '@bob is not in team bootcamp/sre, which approve prod' };
    expect(Authorization.parse({ allowed: true })).toEqual({ allowed: true });
    expect(Authorization.parse(refused)).toEqual(refused);
  });

  it('refuses a stored refusal without a reason, or a verdict that is not a boolean', () => {
    expect(Authorization.safeParse({ allowed: false }).success).toBe(false);
    expect(Authorization.safeParse({ allowed: false, reason: '' }).success).toBe(false);
    expect(Authorization.safeParse({ allowed: 'yes' }).success).toBe(false);
  });
});
