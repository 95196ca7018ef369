import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_RULES,
  ACCESS_TABLE_END,
  ACCESS_TABLE_START,
  FINE_PERMISSION_LABELS,
  renderAccessTable,
  type FinePermission,
  type AccessRule,
  type Capability,
  type Role,
} from '../../src/scm/access-table.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import {
  checkToken,
  NEEDS,
  startGitHubDouble,
  type GitHubDouble,
  type TokenKind,
} from '../doubles/github/index.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPO = 'bootcamp/notes-deploy';

/**
 * docs/ACCESS.md and the strict Gitea double against the one list in src/scm/access-table.ts: the page holds the
 * table the list renders, and for each Gitea row an account holding exactly the row's role and token scope gets past
 * Gitea's guards while one role less is refused.
 */
describe('the access table', () => {
  it('is in docs/ACCESS.md exactly as src/scm/access-table.ts renders it', () => {
    const page = readFileSync(join(ROOT, 'docs', 'ACCESS.md'), 'utf8');
    const start = page.indexOf(ACCESS_TABLE_START);
    const end = page.indexOf(ACCESS_TABLE_END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    // On failure: paste renderAccessTable() between the markers.
    expect(page.slice(start + ACCESS_TABLE_START.length, end).trim()).toBe(renderAccessTable().trim());
  });

  it('is linked from the Configuration section of the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const configuration = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## ChatOps'));
    expect(configuration).toContain('(docs/ACCESS.md)');
  });

  it('has a row for every capability on Gitea, and GitHub rows for what promobot does there', () => {
    const gitea = new Set(ACCESS_RULES.filter((r) => r.host === 'gitea').map((r) => r.capability));
    expect(gitea.size).toBe(15);
    expect(ACCESS_RULES.filter((r) => r.host === 'github').length).toBeGreaterThan(5);
  });
});

describe('the strict Gitea double enforces the Gitea rows', () => {
  let double: GiteaDouble;
  let deploy: TempRepo;
  let headSha = '';
  let pr = 0;
  let commentId = 0;
  let sreId = 0;

  /** One account per role and token scope, holding exactly that. */
  const accounts = new Map<string, string>();
  function tokenFor(role: Role | 'no access' | 'org outsider', scope: string): string {
    const login = `${role}-${scope}`.replace(/[^a-z]+/g, '-');
    const known = accounts.get(login);
    if (known) return known;
    const { token } = double.addUser(login, { scopes: [scope] });
    const level = { 'repo read': 'read', 'repo write': 'write', 'repo admin': 'admin' } as const;
    if (role in level) double.setAccess(REPO, login, level[role as keyof typeof level]);
    // Org roles read the repo too, as promobot does.
    if (role === 'org member' || role === 'team member' || role === 'org outsider')
      double.setAccess(REPO, login, 'admin');
    if (role === 'org member') double.setTeamMember('bootcamp', 'release', login, true);
    if (role === 'team member') double.setTeamMember('bootcamp', 'sre', login, true);
    accounts.set(login, token);
    return token;
  }

  /** The role just below `role`, which Gitea must refuse; null for `any account`. */
  const LESSER: Record<Role, Role | 'no access' | 'org outsider' | null> = {
    'any account': null,
    'repo read': 'no access',
    'repo write': 'repo read',
    'repo admin': 'repo write',
    'org member': 'org outsider',
    'team member': 'org member',
  };

  /** One call per capability, as promobot makes it. */
  const PROBES: Record<
    Exclude<Capability, 'push'>,
    () => { method: string; path: string; body?: unknown }
  > = {
    identify: () => ({ method: 'GET', path: '/user' }),
    'read-repo': () => ({ method: 'GET', path: `/repos/${REPO}/branches/main` }),
    'pull-requests': () => ({
      method: 'POST',
      path: `/repos/${REPO}/pulls`,
      body: { head: 'main', base: 'main', title: 'probe' },
    }),
    merge: () => ({ method: 'POST', path: `/repos/${REPO}/pulls/${pr}/merge`, body: { do: 'merge' } }),
    'set-status': () => ({
      method: 'POST',
      path: `/repos/${REPO}/statuses/${headSha}`,
      body: { context: 'promobot/probe', state: 'pending' },
    }),
    'read-status': () => ({ method: 'GET', path: `/repos/${REPO}/statuses/${headSha}` }),
    comment: () => ({
      method: 'POST',
      path: `/repos/${REPO}/issues/${pr}/comments`,
      body: { body: 'probe' },
    }),
    react: () => ({
      method: 'POST',
      path: `/repos/${REPO}/issues/comments/${commentId}/reactions`,
      body: { content: 'eyes' },
    }),
    'read-reviews': () => ({ method: 'GET', path: `/repos/${REPO}/pulls/${pr}/reviews` }),
    'delete-branch': () => ({ method: 'DELETE', path: `/repos/${REPO}/branches/gone` }),
    'read-permission': () => ({ method: 'GET', path: `/repos/${REPO}/collaborators/carol/permission` }),
    'read-org-teams': () => ({ method: 'GET', path: '/orgs/bootcamp/teams' }),
    'read-team-members': () => ({ method: 'GET', path: `/teams/${sreId}/members/carol` }),
    'manage-hooks': () => ({ method: 'GET', path: `/repos/${REPO}/hooks` }),
  };

  async function call(token: string, probe: { method: string; path: string; body?: unknown }) {
    const response = await fetch(`${double.url}/api/v1${probe.path}`, {
      method: probe.method,
      headers: {
        authorization: `token ${token}`,
        ...(probe.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(probe.body === undefined ? {} : { body: JSON.stringify(probe.body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      message: text === '' ? '' : String((JSON.parse(text) as { message?: unknown }).message ?? ''),
    };
  }

  /** Refused by a guard: 403, 404 (hidden), or the merge's 405 "User not allowed to merge PR". */
  const refused = (answer: { status: number; message: string }) =>
    answer.status === 403 ||
    answer.status === 404 ||
    (answer.status === 405 && /not allowed to merge/.test(answer.message));

  beforeAll(async () => {
    deploy = createTempRepo({ 'README.md': 'deploy\n' });
    git(deploy.work, 'checkout', '--quiet', '-b', 'promobot/prod/probe');
    git(deploy.work, 'commit', '--quiet', '--allow-empty', '-m', 'probe');
    git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/promobot/prod/probe');
    git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/gone');
    git(deploy.work, 'checkout', '--quiet', 'main');
    double = await startGiteaDouble();
    double.addUser('owner');
    double.addUser('carol');
    await double.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { carol: 'write' },
    });
    sreId = double.addTeam('bootcamp', 'sre', ['carol']).id;
    double.addTeam('bootcamp', 'release', []);
    const opened = await double.openPullRequest(REPO, {
      author: 'owner',
      head: 'promobot/prod/probe',
      base: 'main',
      title: 'probe',
    });
    pr = opened.index;
    headSha = opened.headSha;
    // Holding the merge check keeps the PR open however often a permitted account tries.
    double.holdMergeCheck(REPO, pr, true);
    commentId = (await double.comment(REPO, pr, 'carol', 'hello')).id;
  });

  afterAll(async () => {
    await double?.close();
    deploy?.cleanup();
  });

  const rows = ACCESS_RULES.filter((r): r is AccessRule & { capability: Exclude<Capability, 'push'> } => {
    // git push is refused by the pre-receive hook: test/scm/gitea-double.test.ts "refuses a reader's push".
    return r.host === 'gitea' && r.capability !== 'push';
  });

  it.each(rows.map((r) => [r.capability, r] as const))(
    '%s: the role and scope of the row suffice, one role less does not',
    async (_, rule) => {
      const probe = PROBES[rule.capability]();
      const holder = await call(tokenFor(rule.role, rule.scope), probe);
      expect(refused(holder), `${rule.role} with ${rule.scope}: ${holder.status} ${holder.message}`).toBe(
        false,
      );
      const lesser = LESSER[rule.role];
      if (lesser !== null) {
        const answer = await call(tokenFor(lesser, rule.scope), probe);
        expect(refused(answer), `${lesser}: ${answer.status} ${answer.message}`).toBe(true);
      }
      expect(double.violations).toEqual([]);
    },
  );
});

describe("the GitHub rows against the strict GitHub double's NEEDS", () => {
  const rows = ACCESS_RULES.filter((r) => r.host === 'github');
  type Fine = readonly [FinePermission, 'read' | 'write'];
  /** Whether a token holding only `held` (and the Metadata: read every fine-grained token has) may call `operation`. */
  const suffices = (held: Fine | undefined, operation: string) => {
    const token: TokenKind = {
      kind: 'fine-grained',
      owner: 'bootcamp',
      permissions: held ? { [held[0]]: held[1] } : {},
    };
    return checkToken(token, operation, 'bootcamp').ok;
  };
  /** One level less: write → read, read → none. */
  const lesser = ([permission, level]: Fine): Fine | undefined =>
    level === 'write' ? [permission, 'read'] : undefined;

  it('every GitHub row says its operations, and every operation the double guards is in a row', () => {
    for (const rule of rows) expect(rule.github?.operations.length, rule.capability).toBeGreaterThan(0);
    const listed = rows.flatMap((r) => r.github?.operations ?? []);
    // promobot never deletes a hook (webhooks sync only lists, creates and updates); the double serves it for tests.
    const guarded = Object.keys(NEEDS).filter((id) => id !== 'repos/delete-webhook');
    expect([...listed].sort()).toEqual([...guarded].sort());
  });

  it.each(rows.map((r) => [r.capability, r] as const))(
    '%s: the classic scope and each fine-grained permission the row names suffice, one level less does not',
    (_, rule) => {
      const github = rule.github!;
      for (const operation of github.operations) {
        const need = NEEDS[operation]!;
        // The classic scope: one the double accepts, or none where it asks none.
        if (github.classic === 'none') expect(need.classic, operation).toEqual([]);
        else expect(need.classic, operation).toContain(github.classic);
        // Every permission the double would accept is one the row names.
        for (const [permission] of need.fine)
          expect(
            github.fine.map(([p]) => p),
            `${operation} also takes ${permission}`,
          ).toContain(permission);
      }
      if (github.fine.length === 0) {
        for (const operation of github.operations) expect(suffices(undefined, operation)).toBe(true);
        return;
      }
      for (const held of github.fine) {
        for (const operation of github.operations)
          expect(suffices(held, operation), `${held.join(': ')} for ${operation}`).toBe(true);
        // Least privilege: with one level less, some call of the row is refused (Metadata: read cannot be
        // taken from a fine-grained token, so that row is proven by its scope alone).
        const less = lesser(held);
        if (held[0] === 'metadata') continue;
        expect(
          github.operations.some((operation) => !suffices(less, operation)),
          `${held.join(': ')} is more than the row needs`,
        ).toBe(true);
      }
    },
  );

  it('names in the scope column the classic scope and every fine-grained permission of the row', () => {
    for (const rule of rows) {
      const github = rule.github!;
      expect(rule.scope.startsWith(github.classic), rule.capability).toBe(true);
      for (const [permission, level] of github.fine)
        expect(rule.scope, rule.capability).toContain(`${FINE_PERMISSION_LABELS[permission]}: ${level}`);
    }
  });
});

describe('the strict GitHub double enforces the roles of the GitHub rows', () => {
  let double: GitHubDouble;
  let deploy: TempRepo;
  let headSha = '';
  let pr = 0;
  let commentId = 0;
  const tokens = new Map<string, string>();

  /** A classic token (repo, read:org) of an account holding exactly `role`. */
  function tokenFor(role: Role | 'no access' | 'org outsider'): string {
    const login = role.replace(/[^a-z]+/g, '-');
    const known = tokens.get(login);
    if (known) return known;
    const { token } = double.addUser(login);
    const level = { 'repo read': 'read', 'repo write': 'write', 'repo admin': 'admin' } as const;
    if (role in level) double.setAccess(REPO, login, level[role as keyof typeof level]);
    // The org roles read the repo as promobot does (write); an outsider is no org member.
    if (role === 'org member' || role === 'org outsider') double.setAccess(REPO, login, 'write');
    if (role === 'org member') double.addOrgMember('bootcamp', login);
    tokens.set(login, token);
    return token;
  }

  /** The role just below `role`, which GitHub must refuse; null for `any account`. */
  const LESSER: Partial<Record<Role, Role | 'no access' | 'org outsider' | null>> = {
    'any account': null,
    'repo read': 'no access',
    'repo write': 'repo read',
    'repo admin': 'repo write',
    'org member': 'org outsider',
  };

  /** One call per capability, as promobot makes it. */
  const PROBES: Partial<Record<Capability, () => { method: string; path: string; body?: unknown }>> = {
    identify: () => ({ method: 'GET', path: '/user' }),
    'read-repo': () => ({ method: 'GET', path: `/repos/${REPO}` }),
    'pull-requests': () => ({
      method: 'POST',
      path: `/repos/${REPO}/pulls`,
      body: { head: 'main', base: 'main', title: 'probe' },
    }),
    merge: () => ({ method: 'PUT', path: `/repos/${REPO}/pulls/${pr}/merge`, body: {} }),
    'set-status': () => ({
      method: 'POST',
      path: `/repos/${REPO}/statuses/${headSha}`,
      body: { context: 'promobot/probe', state: 'pending' },
    }),
    'read-status': () => ({ method: 'GET', path: `/repos/${REPO}/commits/${headSha}/status` }),
    comment: () => ({
      method: 'POST',
      path: `/repos/${REPO}/issues/${pr}/comments`,
      body: { body: 'probe' },
    }),
    react: () => ({
      method: 'POST',
      path: `/repos/${REPO}/issues/comments/${commentId}/reactions`,
      body: { content: 'eyes' },
    }),
    'read-reviews': () => ({ method: 'GET', path: `/repos/${REPO}/pulls/${pr}/reviews` }),
    'delete-branch': () => ({
      method: 'DELETE',
      path: `/repos/${REPO}/git/refs/${encodeURIComponent('heads/gone')}`,
    }),
    'read-permission': () => ({ method: 'GET', path: `/repos/${REPO}/collaborators/carol/permission` }),
    'read-org-teams': () => ({ method: 'GET', path: '/orgs/bootcamp/teams/sre' }),
    'read-team-members': () => ({ method: 'GET', path: '/orgs/bootcamp/teams/sre/memberships/carol' }),
    'manage-hooks': () => ({ method: 'GET', path: `/repos/${REPO}/hooks` }),
  };

  async function call(token: string, probe: { method: string; path: string; body?: unknown }) {
    const response = await fetch(`${double.url}${probe.path}`, {
      method: probe.method,
      headers: {
        authorization: `token ${token}`,
        ...(probe.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(probe.body === undefined ? {} : { body: JSON.stringify(probe.body) }),
    });
    await response.text();
    return response.status;
  }

  /** Refused by GitHub's rules: 403, or 404 (hidden). */
  const refused = (status: number) => status === 403 || status === 404;

  beforeAll(async () => {
    deploy = createTempRepo({ 'README.md': 'deploy\n' });
    git(deploy.work, 'checkout', '--quiet', '-b', 'promobot/prod/probe');
    git(deploy.work, 'commit', '--quiet', '--allow-empty', '-m', 'probe');
    git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/promobot/prod/probe');
    git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/gone');
    git(deploy.work, 'checkout', '--quiet', 'main');
    double = await startGitHubDouble();
    double.addUser('owner');
    double.addUser('carol');
    await double.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { carol: 'write' },
    });
    // The approvers' team as docs/ACCESS.md sets it up: visible to the organization.
    double.addTeam('bootcamp', 'sre', ['carol'], [], { privacy: 'closed' });
    const opened = await double.openPullRequest(REPO, {
      author: 'owner',
      head: 'promobot/prod/probe',
      base: 'main',
      title: 'probe',
    });
    pr = opened.number;
    headSha = opened.headSha;
    // Holding the merge check keeps the PR open however often a permitted account tries.
    double.holdMergeCheck(REPO, pr, true);
    commentId = (await double.comment(REPO, pr, 'carol', 'hello')).id;
  });

  afterAll(async () => {
    await double?.close();
    deploy?.cleanup();
  });

  it.each(ACCESS_RULES.filter((r) => r.host === 'github').map((r) => [r.capability, r] as const))(
    '%s: the role of the row suffices, one role less does not',
    async (capability, rule) => {
      const probe = PROBES[capability]!();
      const holder = await call(tokenFor(rule.role), probe);
      expect(refused(holder), `${rule.role}: ${holder}`).toBe(false);
      const lesser = LESSER[rule.role];
      if (lesser) expect(refused(await call(tokenFor(lesser), probe)), `${lesser}`).toBe(true);
      expect(double.violations).toEqual([]);
    },
  );
});
