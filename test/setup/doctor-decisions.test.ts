import { describe, expect, it } from 'vitest';
import {
  adviseGitRead,
  adviseHookFailure,
  doctorPassed,
  judgeScmAccess,
  renderChecklist,
  type DoctorCheck,
} from '../../src/setup/index.js';
import { PermanentError, TransientError } from '../../src/errors/index.js';

describe('setup/judgeScmAccess()', () => {
  it('lets a write token push, set statuses and merge', () => {
    expect(
      judgeScmAccess('gitea', 'bootcamp/d', { login: 'bot', admin: false, push: true, pull: true }),
    ).toEqual({ ok: true, detail: 'token of bot, write on bootcamp/d: can push, set statuses and merge' });
  });

  it('refuses a read token and says whom to grant what', () => {
    const verdict = judgeScmAccess('gitea', 'bootcamp/d', {
      login: 'bot',
      admin: false,
      push: false,
      pull: true,
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.fix).toMatch(/^make bot an administrator of bootcamp\/d/);
  });

  it('refuses a classic GitHub token without the repo scope even with write permission', () => {
    const verdict = judgeScmAccess('github', 'acme/d', {
      login: 'bot',
      admin: true,
      push: true,
      pull: true,
      scopes: ['read:org'],
    });
    expect(verdict).toMatchObject({
      ok: false,
      detail: expect.stringContaining("token's scopes are read:org"),
    });
  });
});

describe('setup/adviseGitRead()', () => {
  const input = {
    repo: 'bootcamp/d',
    url: 'https://gitea.example.com/bootcamp/d.git',
    tokenVariable: 'GITEA_TOKEN',
  };
  it.each([
    ['fatal: Authentication failed for ...', /git refused the credentials: set GITEA_TOKEN/],
    [
      'remote: Repository not found\nfatal: repository ... not found',
      /is not a repository the token can see/,
    ],
    ['fatal: unable to access ...: Could not resolve host: gitea.example.com', /cannot reach/],
    ['fatal: unable to access ...: SSL certificate problem', /TLS certificate is not trusted/],
  ])('turns %j into advice', (stderr, advice) => {
    expect(adviseGitRead(input, stderr)).toMatch(advice);
  });
});

describe('setup/adviseHookFailure()', () => {
  it('asks for admin on a 403 from Gitea, and for the scope when Gitea names one', () => {
    const http = { method: 'POST', url: 'https://g/api/v1/repos/o/r/hooks', status: 403 };
    const forbidden = new PermanentError('Gitea answered 403', { http: { ...http, detail: '' } });
    expect(adviseHookFailure('gitea', 'o/r', forbidden)).toMatch(/make the token's user an admin of o\/r/);
    const scope = new PermanentError('Gitea answered 403', {
      advice: 'the host client says the token needs write:repository',
      http: { ...http, detail: 'token does not have at least one of required scope(s)' },
    });
    expect(adviseHookFailure('gitea', 'o/r', scope)).toMatch(/the token lacks a scope/);
  });

  it('names the URL variable when the host does not answer', () => {
    expect(
      adviseHookFailure(
        'harbor',
        'p',
        new TransientError('cannot reach', {
          http: { method: 'GET', url: 'https://h/api/v2.0/ping', status: undefined, detail: 'ECONNREFUSED' },
        }),
      ),
    ).toBe('check HARBOR_URL (https://h) and that this machine can reach it');
  });
});

describe('setup/renderChecklist()', () => {
  const checks: DoctorCheck[] = [
    { group: 'Redis', name: 'redis://r', status: 'pass', detail: 'answers PING' },
    { group: 'Gates', name: 'g', status: 'warn', detail: 'no data', fix: 'check labels' },
    { group: 'Redis', name: 'second', status: 'fail', detail: 'down', fix: 'start it' },
  ];

  it('groups the checks, prints each fix under its failure, and counts the failures', () => {
    expect(renderChecklist(checks)).toBe(
      [
        'Redis',
        '  [ok]   redis://r: answers PING',
        '  [FAIL] second: down',
        '         fix: start it',
        'Gates',
        '  [warn] g: no data',
        '         fix: check labels',
        '',
        '1 of 3 checks failed',
        '',
      ].join('\n'),
    );
    expect(doctorPassed(checks)).toBe(false);
  });

  it('passes with warnings', () => {
    expect(doctorPassed(checks.slice(0, 2))).toBe(true);
    expect(renderChecklist(checks.slice(0, 2))).toContain('all 2 checks passed (1 with a warning)');
  });
});
