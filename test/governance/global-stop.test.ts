import { describe, expect, it } from 'vitest';
import {
  applyStop,
  authorizeStop,
  decideGlobalStop,
  replayStops,
  stopEvents,
  type RepoComment,
  type StopRecord,
} from '../../src/governance/global-stop.js';
import { parseStopCommands, stopCommandsIn } from '../../src/chatops/stop-commands.js';
import { approvalStatus, decideMerge } from '../../src/promotion/pull-request-state/decide-merge.js';
import { emptyPromotionState, setCandidate } from '../../src/promotion/pull-request-state/promotion-state.js';
import { Environment } from '../../src/policy/schema.js';

const given = { by: 'alice', at: '2026-12-07T10:00:00Z', issue: 7, commentId: 70 };

describe('the global stop grammar on an issue', () => {
  it('reads each scope, with a reason after it', () => {
    const { commands, problems } = parseStopCommands(
      [
        '/hold all incident 42',
        '/hold app=checkout',
        '/hold env=prod database migration',
        '/hold app=checkout env=prod',
        '/unhold env=prod',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(commands.map((c) => c.command)).toEqual([
      { name: 'hold', scope: { app: null, env: null }, reason: 'incident 42' },
      { name: 'hold', scope: { app: 'checkout', env: null }, reason: null },
      { name: 'hold', scope: { app: null, env: 'prod' }, reason: 'database migration' },
      { name: 'hold', scope: { app: 'checkout', env: 'prod' }, reason: null },
      { name: 'unhold', scope: { app: null, env: 'prod' } },
    ]);
  });

  it('says what is wrong with a /hold or /unhold that names no scope, a bad name, or more than a scope', () => {
    const { commands, problems } = parseStopCommands(
      ['/hold', '/hold prod now', '/hold env=Prod', '/unhold all please', '/hold app=a app=b'].join('\n'),
    );
    expect(commands).toEqual([]);
    expect(problems.map((p) => p.message)).toEqual([
      'on an issue, /hold needs a scope: use /hold all, /hold app=<app>, /hold env=<env> or /hold app=<app> env=<env>, then a reason',
      '"prod" is not a scope: use /hold all, /hold app=<app>, /hold env=<env> or /hold app=<app> env=<env>, then a reason',
      '"Prod" is not an environment name: lowercase letters, digits and "-"',
      '/unhold takes only the scope to lift (/unhold all); got "please" after it',
      'app= is given twice; use /hold all, /hold app=<app>, /hold env=<env> or /hold app=<app> env=<env>, then a reason',
    ]);
  });

  it('reads at most 10 stop commands of a comment, says where it stopped, and none of a comment too long', () => {
    const lines = Array.from({ length: 6000 }, (_, i) => `/hold app=a${String(i)}`);
    const { commands, problems } = parseStopCommands(lines.slice(0, 12).join('\n'));
    expect(commands.map((c) => c.text)).toEqual(lines.slice(0, 10));
    expect(problems).toEqual([
      {
        line: 11,
        text: '/hold app=a10',
        name: 'hold',
        message: 'not read, nor any line after it: at most 10 stop commands are read per comment',
      },
    ]);
    expect(parseStopCommands(lines.join('\n'))).toEqual({ commands: [], problems: [] });
  });

  it('reads no command in code, quotes or a longer word', () => {
    const { commands, problems } = parseStopCommands(
      '`/hold all`\n> /hold all\n/holder all\n```\n/hold all\n```',
    );
    expect(commands).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('who may stop', () => {
  const base = {
    login: 'bob',
    isBot: false,
    deployRepo: 'team/deploy',
    apps: ['checkout'],
    environments: ['dev', 'prod'],
  };
  const hold = { name: 'hold' as const, scope: { app: null, env: null }, reason: null };
  it('writers and admins', () => {
    expect(authorizeStop({ ...base, command: hold, permission: 'write' })).toEqual({ allowed: true });
    expect(authorizeStop({ ...base, command: hold, permission: 'admin' })).toEqual({ allowed: true });
  });
  it('not readers, nor bots, nor a scope the policy does not have', () => {
    expect(authorizeStop({ ...base, command: hold, permission: 'read' })).toEqual({
      allowed: false,
      reason: '@bob has read permission on team/deploy; /hold all needs write permission',
    });
    expect(authorizeStop({ ...base, isBot: true, command: hold, permission: 'admin' }).allowed).toBe(false);
    expect(
      authorizeStop({
        ...base,
        command: { ...hold, scope: { app: null, env: 'qa' } },
        permission: 'admin',
      }),
    ).toEqual({
      allowed: false,
      reason: 'there is no environment "qa" in the policy (environments: dev, prod)',
    });
  });
});

describe('decideGlobalStop', () => {
  const stops: StopRecord[] = [
    { scope: { app: null, env: 'prod' }, reason: 'migration', ...given },
    {
      scope: { app: 'checkout', env: null },
      reason: null,
      ...given,
      by: 'carol',
      at: '2026-12-07T11:00:00Z',
    },
  ];
  it('holds what a scope covers, saying who, where and why', () => {
    expect(decideGlobalStop(stops, 'search', 'dev')).toEqual({ stopped: false, stops: [], reason: null });
    expect(decideGlobalStop(stops, 'search', 'prod').reason).toBe('held by @alice on issue #7: migration');
    expect(decideGlobalStop(stops, 'checkout', 'prod').reason).toBe(
      'held by @alice on issue #7: migration; held by @carol on issue #7',
    );
    expect(decideGlobalStop([{ ...stops[0]!, scope: { app: null, env: null } }], 'x', 'y').stopped).toBe(
      true,
    );
  });

  it('an /unhold lifts exactly its scope; one of a scope not in force changes nothing', () => {
    const all = { name: 'hold' as const, scope: { app: null, env: null }, reason: 'incident' };
    const held = applyStop([], all, given);
    expect(held.outcome).toBe('done');
    expect(applyStop(held.stops, { name: 'unhold', scope: { app: null, env: 'prod' } }, given)).toEqual({
      stops: held.stops,
      outcome: 'unchanged',
    });
    expect(applyStop(held.stops, { name: 'unhold', scope: all.scope }, given)).toEqual({
      stops: [],
      outcome: 'done',
    });
  });

  it('the merge waits, and promobot/approval stays pending, with the stop as the reason', () => {
    const env = Environment.parse({
      name: 'prod',
      path: 'p',
      update: 'pull-request',
      from: 'dev',
      autoMerge: true,
    });
    const state = setCandidate(emptyPromotionState(), {
      tag: 't',
      headSha: 'abc',
      at: given.at,
      actor: 'bot',
    });
    const input = { state, environment: env, gateStatus: null, mergeable: true, held: false };
    expect(decideMerge(input).action).toBe('merge');
    const reason = 'held by @alice on issue #7: incident';
    expect(decideMerge({ ...input, stopped: reason })).toEqual({ action: 'wait', reasons: [reason] });
    expect(approvalStatus(state, env, reason)).toEqual({
      context: 'promobot/approval',
      state: 'pending',
      description: `${reason}; no approval required`,
    });
  });
});

describe('stops rebuilt from the issue comments on the host', () => {
  const comment = (
    id: number,
    author: string,
    body: string,
    more: Partial<RepoComment> = {},
  ): RepoComment => ({
    id,
    author,
    body,
    createdAt: `2026-12-07T10:00:${String(id).padStart(2, '0')}Z`,
    updatedAt: `2026-12-07T10:00:${String(id).padStart(2, '0')}Z`,
    number: 3,
    pullRequest: false,
    ...more,
  });

  it('replays writers’ commands in order; PR comments, the bot, edited /unholds and non-writers do not count', () => {
    const events = stopEvents(
      [
        comment(5, 'alice', '/unhold env=prod', { updatedAt: '2026-12-07T11:00:00Z' }),
        comment(1, 'alice', '/hold env=prod migration'),
        comment(2, 'promobot', '/unhold env=prod'),
        comment(3, 'bob', '/unhold env=prod', { pullRequest: true }),
        comment(4, 'mallory', '/unhold env=prod'),
        comment(6, 'carol', '/hold all'),
        comment(7, 'carol', '/unhold all'),
      ],
      'promobot',
      stopCommandsIn,
    );
    expect(events.map((e) => `${e.by}:${e.command.name}`)).toEqual([
      'alice:hold',
      'mallory:unhold',
      'carol:hold',
      'carol:unhold',
    ]);
    const stops = replayStops(events, (e) => e.by !== 'mallory');
    expect(stops).toEqual([
      {
        scope: { app: null, env: 'prod' },
        reason: 'migration',
        by: 'alice',
        at: '2026-12-07T10:00:01Z',
        issue: 3,
        commentId: 1,
      },
    ]);
  });
});
