/**
 * Waiting for a chaos run to finish, and telling a slow run from a stuck one. Under faults a promotion may take
 * minutes of retries; but when every queue has been empty for a while and something is still missing, nothing is
 * left that would ever finish it (promobot has no timer that looks again), so waiting longer only hides the bug.
 */
import { queueState, tallyLandings, type Figures, type Intended, type QueueState } from './tally.js';

export interface Progress {
  figures: Figures;
  queues: QueueState;
  /** How long it took until done, or until it was given up as stuck or late. */
  ms: number;
  /** `done`: everything landed and the queues are empty; `stuck`: nothing queued, something missing. */
  outcome: 'done' | 'stuck' | 'deadline';
}

const idle = (queues: QueueState | undefined) =>
  queues !== undefined && Object.values(queues.busy).every((n) => n === 0);

/**
 * Polls the deploy repo and the queues until every intended tag has landed and no job is waiting, running or
 * scheduled (`done`), until the queues have stayed empty for `stuckAfterMs` with tags still missing (`stuck`), or
 * until `deadlineMs`. `extraDone` adds a condition of the caller's (e.g. no PR left open).
 */
export async function waitForLandings(options: {
  bare: string;
  redisUrl: string;
  intended: readonly Intended[];
  deadlineMs: number;
  stuckAfterMs?: number;
  extraDone?: () => boolean;
}): Promise<Progress> {
  const started = Date.now();
  const stuckAfterMs = options.stuckAfterMs ?? 30_000;
  let idleSince: number | null = null;
  for (;;) {
    const figures = tallyLandings(options.bare, options.intended);
    const queues = await queueState(options.redisUrl).catch(() => undefined);
    const now = Date.now();
    const ms = now - started;
    idleSince = idle(queues) ? (idleSince ?? now) : null;
    const landed = figures.lost === 0 && (options.extraDone?.() ?? true);
    if (queues && landed && idleSince !== null) return { figures, queues, ms, outcome: 'done' };
    if (queues && idleSince !== null && now - idleSince >= stuckAfterMs)
      return { figures, queues, ms, outcome: 'stuck' };
    if (ms > options.deadlineMs)
      return { figures, queues: queues ?? (await queueState(options.redisUrl)), ms, outcome: 'deadline' };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The (app, env, tag)s that have not landed, for a failure message. */
export function missingLandings(
  landed: readonly { app: string; env: string; tag: string }[],
  intended: readonly Intended[],
): string[] {
  const have = new Set(landed.map((l) => `${l.app} ${l.env} ${l.tag}`));
  return intended
    .filter((i) => !have.has(`${i.app} ${i.env} ${i.tag}`))
    .map((i) => `${i.app}/${i.env}@${i.tag.slice(0, 7)}`);
}
