/**
 * What a chaos run did, read from the outside: the deploy repo's history (which commit moved which app's tag in
 * which environment), the pull requests on the Gitea double, and the job queues in Redis. Nothing here asks
 * promobot; the figures are what a person auditing the deploy repo and the code host would count.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { GATES_QUEUE } from '../../../src/gates/runtime/index.js';
import { parsePromotionMeta, RECONCILE_QUEUE } from '../../../src/promotion/index.js';
import { EVENTS_QUEUE } from '../../../src/queue/index.js';
import type { DoublePull } from '../../doubles/gitea/index.js';
import { git } from '../../support/git.js';
import { QUEUE_PREFIX } from './world.js';

export interface Landing {
  commit: string;
  app: string;
  env: string;
  tag: string;
}

/**
 * Every change of an app's image tag on the branch, oldest first, following the first parent (a merged PR counts
 * once, as its merge commit); the root commit is the seed, not a landing. A path `<app>/<env>/…` names the app and environment.
 */
export function landings(bare: string, branch = 'main'): Landing[] {
  const log = git(
    bare,
    'log',
    '--first-parent',
    '--diff-merges=first-parent',
    '--reverse',
    '-p',
    '--unified=0',
    '--format=%x00%H %P',
    branch,
  );
  const found: Landing[] = [];
  let commit = '';
  let root = false;
  let path = '';
  for (const line of log.split('\n')) {
    if (line.startsWith('\0')) {
      const [id = '', ...parents] = line.slice(1).split(' ').filter(Boolean);
      commit = id;
      // The seed commit sets every app's first tag; nothing was promoted there.
      root = parents.length === 0;
    } else if (root) continue;
    else if (line.startsWith('+++ ')) path = line.replace(/^\+\+\+ (b\/)?/, '');
    else if (line.startsWith('+') && !line.startsWith('+++')) {
      const image = /image:\s*"?[^\s"]+\/([^/\s":]+):([^\s"@]+)/.exec(line);
      const where = /^([^/]+)\/([^/]+)\//.exec(path);
      if (image && where && image[1] === where[1]) {
        found.push({ commit, app: where[1]!, env: where[2]!, tag: image[2]! });
      }
    }
  }
  return found;
}

export interface Intended {
  app: string;
  env: string;
  tag: string;
}

export interface Figures {
  sent: number;
  landed: number;
  /** Extra landings of a tag already landed in that environment. */
  duplicated: number;
  lost: number;
  /** Landings nobody asked for (a tag moved backwards, or one never sent). */
  unexpected: number;
  commits: number;
}

/** Counts every intended (app, env, tag) against the history: landed once, more than once, or never. */
export function tallyLandings(bare: string, intended: readonly Intended[]): Figures {
  const all = landings(bare);
  const key = (x: { app: string; env: string; tag: string }) => `${x.app} ${x.env} ${x.tag}`;
  const counts = new Map<string, number>();
  for (const landing of all) counts.set(key(landing), (counts.get(key(landing)) ?? 0) + 1);
  const wanted = new Set(intended.map(key));
  let landed = 0;
  let duplicated = 0;
  let lost = 0;
  for (const item of wanted) {
    const n = counts.get(item) ?? 0;
    if (n === 0) lost += 1;
    else landed += 1;
    duplicated += Math.max(0, n - 1);
  }
  const unexpected = all.filter((landing) => !wanted.has(key(landing))).length;
  return {
    sent: wanted.size,
    landed,
    duplicated,
    lost,
    unexpected,
    commits: new Set(all.map((l) => l.commit)).size,
  };
}

/** How many promotion PRs carry the same (env, app, tag), and how many heads have more than one PR open. */
export function duplicatePulls(pulls: readonly DoublePull[]): { pulls: number; duplicated: number } {
  const bot = pulls.filter((p) => p.head.startsWith('promobot/'));
  const openPerHead = new Map<string, number>();
  const perPromotion = new Map<string, number>();
  for (const pull of bot) {
    if (pull.state === 'open') openPerHead.set(pull.head, (openPerHead.get(pull.head) ?? 0) + 1);
    const meta = parsePromotionMeta(pull.body);
    const key = meta ? `${meta.env} ${meta.app} ${meta.tag}` : `unparsed ${pull.index}`;
    // Closed without merge is how a PR is made obsolete by a newer tag; only open and merged ones count.
    if (pull.state === 'open' || pull.merged) perPromotion.set(key, (perPromotion.get(key) ?? 0) + 1);
  }
  let duplicated = 0;
  for (const n of [...openPerHead.values(), ...perPromotion.values()]) duplicated += Math.max(0, n - 1);
  return { pulls: bot.length, duplicated };
}

export interface QueueState {
  /** Waiting, active, prioritized or delayed jobs per queue. */
  busy: Record<string, number>;
  failed: Record<string, number>;
}

/** The job counts of promobot's queues, read straight from Redis. */
export async function queueState(redisUrl: string): Promise<QueueState> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const state: QueueState = { busy: {}, failed: {} };
  try {
    for (const name of [EVENTS_QUEUE, RECONCILE_QUEUE, GATES_QUEUE]) {
      const queue = new Queue(name, { connection, prefix: QUEUE_PREFIX });
      const counts = await queue.getJobCounts(
        'waiting',
        'active',
        'prioritized',
        'delayed',
        'waiting-children',
        'failed',
      );
      await queue.close();
      const { failed = 0, ...rest } = counts;
      state.busy[name] = Object.values(rest).reduce((a, b) => a + b, 0);
      state.failed[name] = failed;
    }
  } finally {
    connection.disconnect();
  }
  return state;
}

/** One line a person reads in the run's output. */
export function report(scenario: string, figures: Record<string, unknown>): void {
  const parts = Object.entries(figures).map(
    ([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`,
  );
  process.stdout.write(`chaos ${scenario}: ${parts.join(', ')}\n`);
}

/**
 * Waits until every intended tag has landed and no job is waiting, running or scheduled, then gives the figures;
 * at the deadline it gives them as they are, so the test's assertions say what is missing.
 */
export async function settle(
  bare: string,
  redisUrl: string,
  intended: readonly Intended[],
  timeoutMs = 240_000,
): Promise<{ figures: Figures; queues: QueueState; settledInMs: number }> {
  const started = Date.now();
  for (;;) {
    const figures = tallyLandings(bare, intended);
    const queues = await queueState(redisUrl).catch(() => undefined);
    const idle = queues !== undefined && Object.values(queues.busy).every((n) => n === 0);
    if ((figures.lost === 0 && idle) || Date.now() - started > timeoutMs) {
      return { figures, queues: queues ?? (await queueState(redisUrl)), settledInMs: Date.now() - started };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
