import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { CommentCreated, ReviewSubmitted } from '../../src/events/index.js';
import { normalizeGitHub } from '../../src/hosts/github/normalize.js';
import { AccessError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logger/index.js';
import { Environment } from '../../src/policy/schema.js';
import { createScmHost } from '../../src/hosts/index.js';
import { repoRef, type ScmHost } from '../../src/scm/index.js';
import {
  handleComment,
  handleReview,
  type ChatopsContext,
  type PermissionLookup,
} from '../../src/chatops/index.js';
import {
  decideMerge,
  emptyPromotionState,
  setCandidate,
  setGates,
  type PromotionState,
} from '../../src/promotion/pull-request-state/index.js';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/index.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';

/**
 * The ChatOps flow on GitHub: comments and reviews made on the GitHub double arrive as its webhook bodies, are
 * normalized as in production, and permissions and team memberships are asked of the double through the real
 * GitHub ScmHost.
 */

const logger = createLogger({ level: 'silent' });
const repo = repoRef('bootcamp/notes-deploy');
const FAST = { retry: { retryAfterBaseValue: 5 }, throttle: { enabled: false } };

const environments = z.array(Environment).parse(
  parse(`
- { name: staging, path: chat-ui/staging, update: pull-request }
- name: prod
  path: chat-ui/prod
  update: pull-request
  from: staging
  approvals: { required: 2, approvers: [team:bootcamp/sre, release-lead] }
  gates: [ttft-p95]
`),
);
const prod = environments.find((e) => e.name === 'prod') as Environment;

let double: GitHubDouble;
let deploy: TempRepo;
let host: ScmHost;
let receiver: Server;
let lookup: PermissionLookup;
let prNumber: number;
let headSha: string;
let fineToken: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  deploy = createTempRepo({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:1a2b3c4\n' });
  double = await startGitHubDouble({
    webhook: {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/github`,
      secret: 's',
    },
  });
  const botToken = double.addUser('promobot').token;
  // The same bot with a fine-grained token holding the documented permissions.
  fineToken = double.addUser('promobot-fine', {
    fineGrained: {
      owner: 'bootcamp',
      permissions: {
        contents: 'write',
        pull_requests: 'write',
        issues: 'write',
        statuses: 'write',
        members: 'read',
      },
    },
  }).token;
  for (const login of ['alice', 'release-lead', 'carol', 'bob', 'erin']) double.addUser(login);
  await double.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: {
      promobot: 'write',
      alice: 'write',
      'release-lead': 'write',
      carol: 'maintain',
      bob: 'write',
      erin: 'triage',
      'promobot-fine': 'write',
    },
  });
  double.addOrgMember('bootcamp', 'promobot-fine');
  // The bot is a member of the organization and the approvers' team is `closed`, so the bot sees it.
  double.addOrgMember('bootcamp', 'promobot');
  double.addTeam('bootcamp', 'sre', ['carol'], [], { privacy: 'closed' });
  host = createScmHost('github', { baseUrl: double.url, token: botToken, logger, ...FAST });
  lookup = {
    getPermission: (user) => host.getPermission(repo, user),
    isTeamMember: (org, team, user) => host.isTeamMember(org, team, user),
  };

  git(deploy.work, 'checkout', '--quiet', '-B', 'promobot/prod/chat-ui');
  const file = join(deploy.work, 'chat-ui/prod/deployment.yaml');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, 'image: chat-ui:3f9c2ab\n');
  git(deploy.work, 'commit', '--quiet', '-am', 'promote chat-ui to 3f9c2ab');
  git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/promobot/prod/chat-ui');
  headSha = git(deploy.work, 'rev-parse', 'HEAD');
  const pr = await double.openPullRequest(repo.fullName, {
    author: 'promobot',
    head: 'promobot/prod/chat-ui',
    base: 'main',
    title: 'promote(chat-ui): prod 1a2b3c4 → 3f9c2ab',
  });
  prNumber = pr.number;
});

afterEach(() => {
  expect(double.violations.splice(0)).toEqual([]);
  expect(double.answerProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await double?.close();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  deploy?.cleanup();
});

/** The webhook body the double sent for the latest event of `type`, normalized as production does. */
async function lastDelivery(type: 'issue_comment' | 'pull_request_review') {
  await double.flush();
  const delivery = double.deliveries.filter((d) => d.event === type).at(-1);
  if (!delivery) throw new Error(`no ${type} delivery`);
  const result = normalizeGitHub(delivery.headers, JSON.parse(delivery.body));
  if (!('events' in result)) throw new Error(`ignored: ${result.ignored}`);
  return result.events[0];
}

async function commentAs(login: string, body: string): Promise<CommentCreated> {
  await double.comment(repo.fullName, prNumber, login, body);
  return (await lastDelivery('issue_comment')) as CommentCreated;
}

function context(): ChatopsContext {
  return {
    deployRepo: repo.fullName,
    botLogin: 'promobot',
    environments,
    environment: prod,
    author: 'alice',
    isPromotionPr: true,
  };
}

function fresh(): PromotionState {
  return setCandidate(emptyPromotionState(), { tag: '3f9c2ab', headSha, at: 't0', actor: 'promobot' });
}

async function handle(state: PromotionState, event: CommentCreated, using: PermissionLookup = lookup) {
  const handled = await handleComment(event, state, context(), using, new Date().toISOString());
  if (!handled.acted) throw new Error(`not acted on: ${handled.reason}`);
  return handled;
}

describe('chatops on GitHub deliveries', () => {
  it('counts /approve by a listed approver and by a member of an approver team', async () => {
    let state = (await handle(fresh(), await commentAs('release-lead', 'LGTM\n/approve'))).state;
    state = (await handle(state, await commentAs('carol', '/approve'))).state;
    expect(state.approvals.map((a) => a.by)).toEqual(['release-lead', 'carol']);
  });

  it('refuses the author and a writer outside the approvers, saying why, without effect', async () => {
    const byAuthor = await handle(fresh(), await commentAs('alice', '/approve'));
    expect(byAuthor.state.approvals).toEqual([]);
    expect(byAuthor.reply).toContain('@alice asked for this promotion and cannot approve it');
    const byBob = await handle(fresh(), await commentAs('bob', '/approve'));
    expect(byBob.state.approvals).toEqual([]);
    expect(byBob.reply).toContain(
      '@bob is not in team bootcamp/sre or the approvers list of prod (release-lead)',
    );
  });

  it('holds the write floor: a triage user cannot /hold', async () => {
    const handled = await handle(fresh(), await commentAs('erin', '/hold'));
    expect(handled.state.holds).toEqual([]);
    expect(handled.reply).toContain(
      '@erin has read permission on bootcamp/notes-deploy; /hold needs write permission',
    );
  });

  it('ignores /approve inside a code block or a quote', async () => {
    for (const body of ['```\n/approve\n```', '> /approve']) {
      const event = await commentAs('release-lead', body);
      expect(await handleComment(event, fresh(), context(), lookup, 'now')).toEqual({
        acted: false,
        reason: 'no command in the comment',
      });
    }
  });

  it('acts once on the same delivery twice', async () => {
    const event = await commentAs('release-lead', '/approve');
    const first = await handle(fresh(), event);
    const again = await handleComment(event, first.state, context(), lookup, 'later');
    expect(again).toEqual({ acted: false, reason: `comment ${event.commentId} was already processed` });
  });

  it('keeps a held promotion from merging through approvals and green gates until /unhold', async () => {
    let state = (await handle(fresh(), await commentAs('bob', '/hold waiting for INC-7'))).state;
    state = (await handle(state, await commentAs('release-lead', '/approve'))).state;
    state = (await handle(state, await commentAs('carol', '/approve'))).state;
    state = setGates(state, { status: 'success', summary: 'ttft-p95 1.2 s ≤ 2 s', at: 't1' });
    const merge = { gateStatus: 'success', mergeable: true, held: false } as const;
    expect(decideMerge({ ...merge, state, environment: prod })).toEqual({
      action: 'wait',
      reasons: ['held by @bob: waiting for INC-7'],
    });
    state = (await handle(state, await commentAs('bob', '/unhold'))).state;
    expect(decideMerge({ ...merge, state, environment: prod })).toEqual({
      action: 'merge',
      approvers: ['release-lead', 'carol'],
    });
  });

  it('counts an approving review by an approver, for the head it reviewed', async () => {
    await double.review(repo.fullName, prNumber, 'release-lead', 'APPROVED', 'ship it');
    const review = (await lastDelivery('pull_request_review')) as ReviewSubmitted;
    expect(review).toMatchObject({ state: 'approved', reviewer: 'release-lead', commitId: headSha });
    const handled = await handleReview(review, fresh(), context(), lookup, 't2');
    expect(handled).toMatchObject({ acted: true, outcome: 'accepted' });
  });

  it('never tells a team approver "not in the team" when the bot cannot see a secret team: AccessError read-org-teams', async () => {
    double.setTeamPrivacy('bootcamp', 'sre', 'secret');
    try {
      const event = await commentAs('carol', '/approve');
      const error = await handleComment(event, fresh(), context(), lookup, 'now').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessError);
      expect((error as AccessError).capability).toBe('read-org-teams');
      expect((error as AccessError).message).toBe('GitHub does not show team bootcamp/sre to promobot');
    } finally {
      double.setTeamPrivacy('bootcamp', 'sre', 'closed');
    }
  });

  it('works the same with a fine-grained token holding the documented permissions', async () => {
    const fine = createScmHost('github', { baseUrl: double.url, token: fineToken, logger, ...FAST });
    const fineLookup: PermissionLookup = {
      getPermission: (user) => fine.getPermission(repo, user),
      isTeamMember: (org, team, user) => fine.isTeamMember(org, team, user),
    };
    let state = (await handle(fresh(), await commentAs('release-lead', '/approve'), fineLookup)).state;
    state = (await handle(state, await commentAs('carol', '/approve'), fineLookup)).state;
    expect(state.approvals.map((a) => a.by)).toEqual(['release-lead', 'carol']);
    const byBob = await handle(fresh(), await commentAs('bob', '/approve'), fineLookup);
    expect(byBob.reply).toContain('@bob is not in team bootcamp/sre');
  });
});
