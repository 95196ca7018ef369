import type { AppBoard } from './schema.js';

/** A tag that came into an environment between two snapshots. */
export interface Landing {
  env: string;
  tag: string;
  /** From the image push (or, failing that, its arrival in the first environment) to this landing; null unknown. */
  leadSeconds: number | null;
}

/** An open promotion that is gone from the newer snapshot. */
export interface ClosedPromotion {
  env: string;
  kind: 'promotion' | 'rollback';
  /** `merged`: the environment now runs its tag; `closed`: it went without landing (superseded, closed by hand). */
  outcome: 'merged' | 'closed';
  /** How long it waited for approvals only, when it merged after waiting; null otherwise. */
  approvalWaitSeconds: number | null;
}

export interface Transitions {
  landings: Landing[];
  closed: ClosedPromotion[];
}

/**
 * What changed between an app's previous snapshot and its new one, for the flow figures on `/metrics`: tags that
 * landed (with their lead time) and promotions that ended (merged or not, rollbacks, approval wait). The first
 * snapshot of an app has nothing to compare with and yields nothing, so a restart never counts old landings. Pure.
 */
export function boardTransitions(previous: AppBoard | null, next: AppBoard): Transitions {
  if (previous === null) return { landings: [], closed: [] };
  const entry = next.environments[0]?.env;
  const pushedAt = (tag: string): number | null => {
    if (next.lastPush?.tag === tag) return next.lastPush.at;
    const inEntry = next.history.find((h) => h.env === entry && h.tag === tag);
    return inEntry?.since ?? null;
  };
  const landings: Landing[] = [];
  for (const cell of next.environments) {
    const before = previous.environments.find((e) => e.env === cell.env);
    if (cell.tag === null || before === undefined || before.tag === cell.tag) continue;
    const landedAt = cell.since ?? next.updatedAt;
    // The first environment's own arrival is no lead time; only a recorded push time measures that one.
    const from = cell.env === entry && next.lastPush?.tag !== cell.tag ? null : pushedAt(cell.tag);
    landings.push({
      env: cell.env,
      tag: cell.tag,
      leadSeconds: from === null || landedAt < from ? null : (landedAt - from) / 1000,
    });
  }
  const open = new Set(next.promotions.map((p) => p.pr.number));
  const closed: ClosedPromotion[] = [];
  for (const promotion of previous.promotions) {
    if (open.has(promotion.pr.number)) continue;
    const now = next.environments.find((e) => e.env === promotion.env);
    const merged = now?.tag === promotion.tag;
    const landedAt = now?.since ?? next.updatedAt;
    const waited = promotion.awaitingApprovalSince;
    closed.push({
      env: promotion.env,
      kind: promotion.kind,
      outcome: merged ? 'merged' : 'closed',
      approvalWaitSeconds:
        merged && waited !== null && landedAt >= waited ? (landedAt - waited) / 1000 : null,
    });
  }
  return { landings, closed };
}
