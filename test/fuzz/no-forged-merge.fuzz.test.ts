import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCommentClaims } from '../../src/chatops/index.js';
import { sameLogin } from '../../src/scm/same-login.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { REPO, startHarness, type Harness } from '../chatops/runtime-harness.js';

/**
 * Issue #13, the property: for random sequences of comments, edits of the bot's status comment and of the PR body
 * by a writer who is no approver, Redis flushes and worker kills, promobot never finds a promotion PR ready to
 * merge without `required` (2) distinct allowed approvers other than its requester, all for the current head.
 *
 * The ChatOps runtime on the Gitea double with a real Redis; gates always pass, so approvals and holds decide.
 * Approvers of prod: team bootcamp/sre (carol, dave) and release-lead, who also asks for every PR here.
 */

const APPS = [
  'chat-ui',
  'chat-api',
  'search',
  'notes',
  'billing',
  'auth',
  'gateway',
  'docs',
  'wiki',
  'ledger',
];
/** Sequences tried; each takes about two seconds on the doubles. */
const RUNS = Math.max(1, Math.min(200, Number(process.env.PROMOBOT_FUZZ_RUNS ?? 30) || 30));
/**
 * The seed of this run: PROMOBOT_FUZZ_SEED replays one (with PROMOBOT_FUZZ_PATH, straight to the shrunk
 * counterexample fast-check named); a fresh one otherwise. Printed at the start, and in the failure.
 */
const SEED = process.env.PROMOBOT_FUZZ_SEED
  ? Number(process.env.PROMOBOT_FUZZ_SEED)
  : Math.floor(Math.random() * 2 ** 31);
const PATH = process.env.PROMOBOT_FUZZ_PATH || undefined;
const REQUESTER = 'release-lead';
const ALLOWED = new Set(['carol', 'dave', 'release-lead']);
const PEOPLE = ['release-lead', 'carol', 'dave', 'alice', 'mallory'] as const;
const COMMANDS = ['/approve', '/approve cancel', '/hold', '/unhold', '/status'] as const;
const STATE_RE = /<!-- promobot:chatops-state [^\n]* -->/;

type Step =
  | { kind: 'comment'; who: (typeof PEOPLE)[number]; command: (typeof COMMANDS)[number] }
  | { kind: 'forge-status'; signed: boolean }
  | { kind: 'edit-body' }
  | { kind: 'flush' }
  | { kind: 'kill'; who: (typeof PEOPLE)[number]; command: (typeof COMMANDS)[number] }
  | { kind: 'candidate' };

const person = fc.constantFrom(...PEOPLE);
const command = fc.constantFrom(...COMMANDS);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('comment' as const), who: person, command }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('forge-status' as const), signed: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'edit-body' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kill' as const), who: person, command }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'candidate' as const }) },
);

let redisServer: RedisServer;
let h: Harness;

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness('gitea', redisServer);
  h.gates = 'success';
}, 30_000);

afterEach(() => {
  expect(h.double.violations.splice(0)).toEqual([]);
  expect(h.double.answerProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

async function asPerson(login: string, method: string, path: string, body: unknown): Promise<number> {
  const answer = await fetch(`${h.double.url}/api/v1/repos/${REPO.fullName}${path}`, {
    method,
    headers: { authorization: `token ${h.tokens[login] ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return answer.status;
}

/** Genuine approvals, as the person-visible history says: allowed people, not the requester, since the last head. */
function model() {
  let approvals = new Set<string>();
  const holds = new Set<string>();
  return {
    comment(who: string, text: string, writer: boolean) {
      if (!writer) return;
      if (text === '/approve' && ALLOWED.has(who) && !sameLogin(who, REQUESTER)) approvals.add(who);
      if (text === '/approve cancel') approvals.delete(who);
      if (text === '/hold') holds.add(who);
      if (text === '/unhold') holds.clear();
    },
    candidate() {
      approvals = new Set();
    },
    approvals: () => approvals,
    held: () => holds.size > 0,
  };
}

const WRITERS = new Set(['release-lead', 'carol', 'dave', 'alice']);

describe('no merge without genuine approvals', () => {
  it('holds for random sequences of comments, forged edits, Redis flushes and worker kills', async () => {
    let run = 0;
    let ready = 0;
    console.info(`no-forged-merge: seed ${String(SEED)}${PATH === undefined ? '' : `, path ${PATH}`}`);
    const result = await fc.check(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(step, { minLength: 4, maxLength: 10 }),
        async (approved, rest) => {
          // Most runs start from a genuinely approved PR, so that what follows can try to break it.
          const steps: Step[] = approved
            ? [
                { kind: 'comment', who: 'carol', command: '/approve' },
                { kind: 'comment', who: 'dave', command: '/approve' },
                ...rest,
              ]
            : rest;
          const app = APPS[run % APPS.length] ?? 'chat-ui';
          run += 1;
          const { number } = await h.openPromotion(app, REQUESTER);
          let head = (await h.host.getPullRequest(REPO, number)).headSha;
          await h.runtime.onCandidate('gitea', REPO, number, head, '3f9c2ab');
          const genuine = model();
          let jobs = 0;
          let tags = 0;
          for (const s of steps) {
            switch (s.kind) {
              case 'comment':
                await h.double.comment(REPO.fullName, number, s.who, s.command);
                await h.pump();
                genuine.comment(s.who, s.command, WRITERS.has(s.who));
                break;
              case 'kill': {
                // The worker handling this comment is SIGKILLed right after claiming it; a new worker starts, and
                // bullmq runs the same job again.
                const posted = await h.double.comment(REPO.fullName, number, s.who, s.command);
                await h.double.flush();
                const delivery = h.double.deliveries.at(-1);
                if (!delivery) throw new Error('no delivery');
                const holder = `job-${run}-${(jobs += 1)}`;
                await createCommentClaims(h.redis, 'test').claimComment(
                  { scm: 'gitea', repo: REPO.fullName, number },
                  posted.id,
                  holder,
                );
                h.restart();
                await h.dispatch(delivery, holder);
                await h.pump();
                genuine.comment(s.who, s.command, WRITERS.has(s.who));
                break;
              }
              case 'forge-status': {
                const status = (await h.botComments(number)).find((c) =>
                  c.body.startsWith('<!-- promobot:chatops-status'),
                );
                if (!status) break;
                const forged = {
                  version: 1,
                  candidate: { tag: '3f9c2ab', headSha: head, since: '2026-12-07T00:00:00Z' },
                  requesters: [],
                  approvals: ['carol', 'dave', 'release-lead'].map((by) => ({
                    by,
                    at: '2026-12-07T00:00:00Z',
                    via: 'comment',
                    headSha: head,
                    commentId: 1,
                  })),
                  holds: [],
                  processedCommentIds: [],
                  gates: null,
                  audit: [],
                };
                const encoded = Buffer.from(JSON.stringify(forged), 'utf8').toString('base64url');
                // "Signed" with what a writer could find: a signature of another block, copied.
                const copied = status.body.match(/chatops-state [A-Za-z0-9_-]+ ([A-Za-z0-9_-]+) -->/)?.[1];
                const block = `<!-- promobot:chatops-state ${encoded}${s.signed && copied ? ` ${copied}` : ''} -->`;
                const edited = await asPerson('alice', 'PATCH', `/issues/comments/${status.id}`, {
                  body: status.body.replace(STATE_RE, block),
                });
                expect(edited).toBe(200);
                await h.pump();
                break;
              }
              case 'edit-body': {
                const pr = await h.host.getPullRequest(REPO, number);
                const body = pr.body.replace(/,?"requestedBy":"[^"]*"/, '').concat('\n\nedited by alice');
                expect(await asPerson('alice', 'PATCH', `/pulls/${number}`, { body })).toBe(201);
                await h.pump();
                break;
              }
              case 'flush':
                await h.redis.flushall();
                h.restart();
                break;
              case 'candidate': {
                tags += 1;
                const tag = `${String(run).padStart(3, '0')}${String(tags).padStart(4, '0')}`;
                head = await h.pushCandidate(app, tag);
                await h.runtime.onCandidate('gitea', REPO, number, head, tag);
                genuine.candidate();
                break;
              }
            }
            const readiness = await h.readiness(number);
            if (!readiness.ready) continue;
            ready += 1;
            const named = [...readiness.why.matchAll(/@([a-z-]+)/g)].map((m) => m[1] ?? '');
            expect(genuine.held()).toBe(false);
            expect(named.length).toBeGreaterThanOrEqual(2);
            for (const who of named) expect(genuine.approvals()).toContain(who);
            const trailers = await h.runtime.mergeTrailers(await h.host.getPullRequest(REPO, number));
            for (const line of trailers.split('\n'))
              expect(genuine.approvals()).toContain(line.replace('Promobot-Approved-By: ', ''));
          }
          // The app's branch and PR go, so a later sequence can open them anew.
          await h.host.closePullRequest(REPO, number);
          await h.host.deleteBranch(REPO, `promobot/prod/${app}`);
          await h.pump();
        },
      ),
      { numRuns: RUNS, endOnFailure: true, seed: SEED, ...(PATH === undefined ? {} : { path: PATH }) },
    );
    if (result.failed) {
      const replay = `PROMOBOT_FUZZ_SEED=${String(result.seed)} PROMOBOT_FUZZ_PATH=${result.counterexamplePath ?? ''}`;
      throw new Error(
        [
          `no-forged-merge failed after ${String(result.numRuns)} sequences (seed ${String(result.seed)}, path ${result.counterexamplePath ?? '-'})`,
          `counterexample: ${fc.stringify(result.counterexample)}`,
          `cause: ${result.errorInstance instanceof Error ? (result.errorInstance.stack ?? result.errorInstance.message) : String(result.errorInstance)}`,
          `replay: ${replay} npx vitest run test/fuzz/no-forged-merge.fuzz.test.ts`,
        ].join('\n'),
      );
    }
    // The property must have been put to the test: some sequences did reach "ready".
    expect(ready).toBeGreaterThan(0);
  }, 600_000);
});
