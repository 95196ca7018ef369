import type { Redis } from 'ioredis';
import type { Logger } from '../logger/index.js';
import { redisKeys } from '../redis/keys.js';
import type { RepoRef } from '../events/index.js';
import { graphUrl, type GateState, type RoundEvidence } from '../gates/index.js';
import { AppBoard, BoardEvent, GateRoundPoint, MAX_ROUNDS, MAX_SERIES, MAX_TEXT } from './schema.js';

/** How long a PR head's rounds stay, like the gate runner's own soak state. */
const ROUNDS_TTL_MS = 14 * 24 * 3600 * 1000;

// Writes a snapshot unless the stored one was collected later (KEYS[1] hash; ARGV: field, json, updatedAt): a slow
// collection that started before a quicker one never replaces the newer view. Returns 0 when it kept the stored
// one, else what it replaced ('' for nothing), so exactly one writer sees each change.
const WRITE_NEWER = `
local old = redis.call('hget', KEYS[1], ARGV[1])
if old then
  local ok, decoded = pcall(cjson.decode, old)
  if ok and type(decoded) == 'table' and tonumber(decoded.updatedAt) and tonumber(decoded.updatedAt) > tonumber(ARGV[3]) then
    return 0
  end
end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
return old or ''`;

/** A sample as Prometheus writes it ("0.42", "NaN", "+Inf") as a finite number, or null. */
function sample(text: string | null): number | null {
  if (text === null) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** One round's evidence reduced to what the chart plots, with each query's graph link when Prometheus is known. */
export function roundPoint(
  evidence: RoundEvidence,
  state: Pick<GateState, 'round'>,
  prometheusUrl?: string,
): GateRoundPoint {
  const at = Date.parse(evidence.evaluatedAt);
  return GateRoundPoint.parse({
    round: state.round,
    at: Number.isFinite(at) ? at : 0,
    outcome: evidence.outcome,
    gates: evidence.gates.slice(0, 50).map((g) => ({
      gate: g.gate.slice(0, 200),
      verdict: g.verdict,
      thresholds: g.thresholds,
      queryUrl: prometheusUrl ? graphUrl(prometheusUrl, g.query, evidence.evaluatedAt).slice(0, 4_000) : null,
      series: g.series.slice(0, MAX_SERIES).map((s) => ({
        name: (Object.entries(s.labels).length === 0
          ? 'all'
          : Object.entries(s.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')
        ).slice(0, MAX_TEXT),
        value: sample(s.value),
        baseline: sample(s.baseline),
      })),
    })),
  });
}

/** Apps one read returns at most, whatever Redis holds. */
export const MAX_APPS = 2_000;
/** Largest snapshot kept per app, in bytes: a bigger one is dropped (and logged) rather than stored. */
export const MAX_SNAPSHOT_BYTES = 512 * 1024;

/**
 * The board's read model in Redis: one JSON snapshot per app in a hash (`<prefix>:board:apps`, field
 * `<policy>/<app>`), written by the worker after each reconcile of the app, and a pub/sub channel
 * (`<prefix>:board:events`) that says which app changed. `serve` only reads: it needs neither git nor the code host.
 * A snapshot is a cache of the deploy repo, the PRs and the ChatOps and gate state: losing it loses nothing, the
 * next reconcile (every app is reconciled at start-up) writes it again.
 */
export interface BoardStore {
  /**
   * Stores the snapshot unless a later-collected one is stored; resolves with whether it was written and the valid
   * snapshot it replaced (null when none was stored, or not readable).
   */
  write(board: AppBoard): Promise<{ written: boolean; replaced: AppBoard | null }>;
  publish(event: BoardEvent): Promise<void>;
  /** Every valid snapshot; a record another version wrote, or garbage, is skipped. */
  readAll(): Promise<AppBoard[]>;
  read(policy: string, app: string): Promise<AppBoard | null>;
  /**
   * Keeps one gate round of a PR head for the chart; a retried round overwrites itself. True when this round
   * (PR head and round number: the round's id) was not kept before, so a retried round is counted once.
   */
  writeRound(repo: RepoRef, pr: number, headSha: string, point: GateRoundPoint): Promise<boolean>;
  /** The kept rounds of a PR head, oldest first. */
  readRounds(repo: RepoRef, pr: number, headSha: string): Promise<GateRoundPoint[]>;
  readonly channel: string;
}

export function createBoardStore(redis: Redis, prefix: string, logger: Logger): BoardStore {
  const keys = redisKeys(prefix);
  const hash = keys.boardApps();
  const channel = keys.boardEvents();
  const roundsKey = (repo: RepoRef, pr: number, headSha: string) =>
    keys.boardRounds(repo.fullName, pr, headSha);
  const parse = (raw: string): AppBoard | null => {
    try {
      const parsed = AppBoard.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  };
  return {
    channel,
    async write(board) {
      const json = JSON.stringify(AppBoard.parse(board));
      if (Buffer.byteLength(json) > MAX_SNAPSHOT_BYTES) {
        logger.warn(
          { policy: board.policy, app: board.app, bytes: json.length },
          'board snapshot too large; not stored',
        );
        return { written: false, replaced: null };
      }
      const result = await redis.eval(
        WRITE_NEWER,
        1,
        hash,
        `${board.policy}/${board.app}`,
        json,
        board.updatedAt,
      );
      if (typeof result !== 'string') return { written: false, replaced: null };
      return { written: true, replaced: result === '' ? null : parse(result) };
    },
    async writeRound(repo, pr, headSha, point) {
      const key = roundsKey(repo, pr, headSha);
      const field = String(point.round);
      // Past the cap nothing more is kept, but whether this round was seen before is still known.
      if ((await redis.hlen(key)) >= MAX_ROUNDS * 2) return (await redis.hexists(key, field)) === 0;
      const added = await redis.hset(key, field, JSON.stringify(GateRoundPoint.parse(point)));
      await redis.pexpire(key, ROUNDS_TTL_MS);
      return added === 1;
    },
    async readRounds(repo, pr, headSha) {
      const points: GateRoundPoint[] = [];
      for (const raw of Object.values(await redis.hgetall(roundsKey(repo, pr, headSha)))) {
        try {
          const parsed = GateRoundPoint.safeParse(JSON.parse(raw));
          if (parsed.success) points.push(parsed.data);
        } catch {
          // Not ours: skipped.
        }
      }
      return points.sort((a, b) => a.round - b.round).slice(-MAX_ROUNDS);
    },
    async publish(event) {
      await redis.publish(channel, JSON.stringify(BoardEvent.parse(event)));
    },
    async readAll() {
      const all = await redis.hgetall(hash);
      const boards: AppBoard[] = [];
      for (const raw of Object.values(all).slice(0, MAX_APPS)) {
        const board = parse(raw);
        if (board) boards.push(board);
      }
      return boards;
    },
    async read(policy, app) {
      const raw = await redis.hget(hash, `${policy}/${app}`);
      return raw === null ? null : parse(raw);
    },
  };
}
