/**
 * Prometheus goes away in the middle of a soak. prod is gated on the candidate's TTFT p95 and error rate in staging
 * (healthy in the generated history), needs 10 passing rounds in a row a second apart, and the bot merges it once
 * they pass. Once every app's soak has passed a round, Prometheus is stopped (SIGTERM) and kept down for at least
 * six rounds of every soak, then started again on the same port and data.
 *
 * While it is down no round may pass and nothing may merge: each round is inconclusive, its commit status pending
 * and naming the outage, the PR and its comments never say passed, and the passes in a row start again from zero
 * (an inconclusive round never counts). Once it is back the soak must pass after 10 fresh rounds and the promotion
 * complete: each prod PR merged once, each tag landed once per environment, no failed or stuck job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTag } from '../../bench/support/harbor-push.js';
import { GATES_COMMENT_MARKER } from '../../src/gates/index.js';
import type { DoublePull } from '../doubles/gitea/index.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { sendPushes } from './support/harbor-sender.js';
import type { PromobotProcess } from './support/promobot-process.js';
import { duplicatePulls, landings, report, settle, type Intended } from './support/tally.js';
import { REPO, startWorld, type World } from './support/world.js';

const APPS = 3;
const PASSES = 10;
/** Rounds of every soak that must run while Prometheus is down. */
const DOWN_ROUNDS = 6;
const GATES_CONTEXT = 'promobot/gates';
/** What a PR or comment says once the gates have passed. */
const CLAIM = /\bpassed\b|Gates[^\n]*: success/i;

const ENVIRONMENTS = [
  "    - { name: dev, path: '{{app}}/dev', update: commit, namespace: chat-dev }",
  "    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true, namespace: chat-staging }",
  "    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, namespace: chat-prod, autoMerge: true, soak: 2s, gates: [ttft, errors], gating: { interval: 1s, passes: " +
    `${PASSES}, failureLimit: 1, maxInconclusive: 10m } }`,
];
// The generated history ends two minutes before the run starts: a 30-minute window still covers it at "now".
const GATES = [
  '  gates:',
  '    - { name: ttft, preset: ttft-p95, window: 30m }',
  '    - { name: errors, preset: error-rate, window: 30m }',
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One `promobot/gates` status as the round that set it described it. */
interface Round {
  id: number;
  state: string;
  description: string;
  /** `round N of M`; 0 before the first round. */
  round: number;
  passesInARow: number;
  inconclusive: boolean;
  phase: 'before' | 'down' | 'after';
  /** When the poller first saw it (epoch ms). */
  at: number;
}

function readRound(status: { id: number; state: string; description: string }, phase: Round['phase']): Round {
  const round = /round (\d+)/.exec(status.description);
  const passes = /(\d+) of \d+ passes in a row/.exec(status.description);
  return {
    id: status.id,
    state: status.state,
    description: status.description,
    round: round ? Number(round[1]) : 0,
    passesInARow: passes ? Number(passes[1]) : status.state === 'success' ? PASSES : 0,
    inconclusive: /last inconclusive/.test(status.description),
    phase,
    at: Date.now(),
  };
}

describe('Prometheus stopped in the middle of a soak', () => {
  let world: World;
  let prometheus: PrometheusServer;
  let promobot: PromobotProcess;

  beforeAll(async () => {
    [world, prometheus] = await Promise.all([
      startWorld({ apps: APPS, environments: ENVIRONMENTS, specExtra: GATES }),
      startPrometheus({
        families: chatFamilies(
          SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
        ),
      }),
    ]);
    promobot = await world.promobot({ port: world.webhookPort, prometheusUrl: prometheus.url });
    await promobot.start();
  });

  afterAll(async () => {
    await world?.close();
    await prometheus?.close();
  });

  it('passes no round while it is down, and passes and merges once it is back', async () => {
    const { gitea } = world;
    const occurAt = Math.floor(Date.now() / 1000);
    const pushes = world.apps.map((app) => ({ app, tag: newTag(), occurAt }));
    const intended: Intended[] = pushes.flatMap(({ app, tag }) =>
      ['dev', 'staging', 'prod'].map((env) => ({ app, env, tag })),
    );
    await sendPushes(() => promobot.port, pushes);

    // Everything the outside sees of each prod PR, polled: its gate statuses (with the phase they were first seen
    // in), whether and how often it merged, and whether its body or a comment ever claimed a pass too early.
    let phase: Round['phase'] = 'before';
    const rounds = new Map<string, Round[]>();
    const mergedIn = new Map<string, Round['phase']>();
    const claims: string[] = [];
    const prodPull = (app: string): DoublePull | undefined =>
      gitea.pulls(REPO).find((p) => p.head === `promobot/prod/${app}`);
    const poll = () => {
      for (const app of world.apps) {
        const pull = prodPull(app);
        if (!pull) continue;
        const seen = rounds.get(app) ?? [];
        for (const status of gitea.statuses(REPO, pull.headSha)) {
          if (status.context !== GATES_CONTEXT || seen.some((r) => r.id === status.id)) continue;
          seen.push(readRound(status, phase));
        }
        rounds.set(app, seen);
        if (pull.merged && !mergedIn.has(app)) mergedIn.set(app, phase);
        if (phase !== 'down') continue;
        const texts = [pull.body, ...gitea.comments(REPO, pull.index).map((c) => c.body)];
        for (const text of texts) {
          if (CLAIM.test(text)) claims.push(`${app}: ${text.slice(0, 200)}`);
        }
      }
    };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        poll();
        await sleep(100);
      }
    })();
    // Where each prod PR stands, for a timeout's message.
    const landedIn = (app: string) =>
      landings(world.deploy.bare)
        .filter((l) => l.app === app)
        .map((l) => l.env);
    const where = () =>
      world.apps
        .map((app) => {
          const pull = prodPull(app);
          const status = rounds.get(app)?.at(-1);
          return pull
            ? `${app}: #${pull.index} ${pull.merged ? 'merged' : pull.state}, gates ${status ? `${status.state} "${status.description}"` : 'never reported'}`
            : `${app}: no prod PR; landed in ${landedIn(app).join(', ') || 'no environment'}`;
        })
        .join('\n');
    const until = async (what: string, done: () => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}:\n${where()}\n${promobot.tail()}`);
        await sleep(100);
      }
    };
    const last = (app: string) => rounds.get(app)?.at(-1);

    // The soak is under way in every prod PR: at least one passing round, not done yet.
    await until(
      'every soak to pass a round',
      () => world.apps.every((app) => (last(app)?.passesInARow ?? 0) >= 1),
      60_000,
    );
    const stoppedAt = Date.now();
    await prometheus.stop();
    // Rounds seen from here on ran with Prometheus gone, but for one that was under way when it stopped.
    phase = 'down';
    poll();
    const passesAtStop = Object.fromEntries(world.apps.map((app) => [app, last(app)!.passesInARow]));
    const downSince = (app: string) => rounds.get(app)!.filter((r) => r.phase === 'down' && r.inconclusive);
    await until(
      `${DOWN_ROUNDS} rounds of every soak with Prometheus down`,
      () => world.apps.every((app) => downSince(app).length >= DOWN_ROUNDS),
      60_000,
    );
    poll();
    const downFor = Date.now() - stoppedAt;
    phase = 'after';
    const restartedAt = Date.now();
    await prometheus.start();

    await until('every prod PR to merge', () => world.apps.every((app) => mergedIn.has(app)), 120_000);
    polling = false;
    await poller;
    poll();
    const { figures, queues } = await settle(world.deploy.bare, world.redis.url, intended, 60_000);
    await gitea.flush();

    const perApp = world.apps.map((app) => {
      const all = rounds.get(app)!;
      const success = all.find((r) => r.state === 'success');
      const lastInconclusive = all.filter((r) => r.inconclusive).at(-1);
      return { app, all, success, lastInconclusive };
    });
    const pulls = duplicatePulls(gitea.pulls(REPO));
    report('prometheus-outage', {
      apps: APPS,
      ...figures,
      passesAtStop,
      downForMs: downFor,
      roundsRun: Object.fromEntries(perApp.map((p) => [p.app, p.success?.round ?? p.all.at(-1)?.round])),
      inconclusiveRounds: Object.fromEntries(
        perApp.map((p) => [p.app, p.all.filter((r) => r.inconclusive).length]),
      ),
      passedAfterRestartMs: Object.fromEntries(
        perApp.map((p) => [p.app, p.success ? p.success.at - restartedAt : 'never']),
      ),
      mergedIn: Object.fromEntries(mergedIn),
      pulls: pulls.pulls,
      duplicatedPulls: pulls.duplicated,
      queues,
    });

    for (const { app, all, success, lastInconclusive } of perApp) {
      const down = all.filter((r) => r.phase === 'down');
      // No round passes while Prometheus is down: once a round has seen the outage, every round until the restart
      // is pending, inconclusive, with no pass in a row, and its status names the outage. (The round that was
      // already under way when Prometheus stopped may still report its pass.)
      const firstOutage = down.findIndex((r) => r.inconclusive);
      expect(firstOutage, app).toBeGreaterThanOrEqual(0);
      expect(firstOutage, `${app}: rounds that passed after the stop`).toBeLessThanOrEqual(1);
      for (const r of down.slice(firstOutage)) {
        expect(r, app).toMatchObject({ state: 'pending', inconclusive: true, passesInARow: 0 });
        expect(r.description, app).toMatch(/last inconclusive: ttft: query: Prometheus unreachable/);
      }
      expect(
        all.filter((r) => r.state !== 'pending' && r.phase !== 'after'),
        app,
      ).toEqual([]);
      // Back up: success only after PASSES fresh passing rounds, never counting the inconclusive ones.
      expect(success, `${app} passed after the restart`).toBeDefined();
      expect(success!.phase).toBe('after');
      expect(success!.round).toBeGreaterThanOrEqual(lastInconclusive!.round + PASSES);
      expect(
        all.filter((r) => r.state === 'failure'),
        app,
      ).toEqual([]);
      expect(mergedIn.get(app), `${app} merged`).toBe('after');
      // The gates comment tells the end of the story: success, with the passes in a row.
      const pull = prodPull(app)!;
      const gatesComments = gitea
        .comments(REPO, pull.index)
        .filter((c) => c.body.includes(GATES_COMMENT_MARKER));
      expect(gatesComments, `${app}: one gates comment`).toHaveLength(1);
      expect(gatesComments[0]!.body).toMatch(/Gates for app-\d+ → prod: success/);
    }
    expect(claims, 'the PR or a comment said passed while Prometheus was down').toEqual([]);
    // ...which they do once the gates have passed, so the check above looks at the right words.
    for (const app of world.apps) {
      const pull = prodPull(app)!;
      const texts = [pull.body, ...gitea.comments(REPO, pull.index).map((c) => c.body)];
      expect(
        texts.some((t) => CLAIM.test(t)),
        `${app} says passed after the soak`,
      ).toBe(true);
    }
    expect(figures).toMatchObject({ sent: intended.length, landed: intended.length, duplicated: 0, lost: 0 });
    expect(figures.unexpected).toBe(0);
    expect(pulls.duplicated).toBe(0);
    expect(gitea.pulls(REPO).filter((p) => p.state === 'open')).toEqual([]);
    expect(queues.failed).toEqual({ events: 0, reconcile: 0, gates: 0 });
    expect(queues.busy).toEqual({ events: 0, reconcile: 0, gates: 0 });
    expect(gitea.violations).toEqual([]);
  });
});
