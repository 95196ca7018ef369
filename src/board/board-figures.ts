import type { OpenPromotionFigure } from '../metrics/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import type { AppBoard } from './schema.js';

/** The snapshots of apps the policies in force still name, sorted by app then policy. */
export function namedBoards(boards: readonly AppBoard[], policies: readonly PromotionPolicy[]): AppBoard[] {
  const named = new Set(policies.flatMap((p) => p.spec.apps.map((a) => `${p.metadata.name}/${a.name}`)));
  return boards
    .filter((b) => named.has(`${b.policy}/${b.app}`))
    .sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : a.policy < b.policy ? -1 : 1));
}

/**
 * How long each open promotion has waited, for `promobot_promotion_waiting_seconds` (the "stuck promotion" alert):
 * since its candidate reached the environment it comes from, else since the board saw it wait for approvals, else
 * since the snapshot was taken. Pure.
 */
export function openPromotionFigures(boards: readonly AppBoard[], now: number): OpenPromotionFigure[] {
  return boards.flatMap((board) =>
    board.promotions.map((p) => {
      const from = board.environments.find((e) => e.env === p.from);
      const since =
        from?.tag === p.tag && from.since !== null
          ? from.since
          : (p.awaitingApprovalSince ?? board.updatedAt);
      return {
        policy: p.policy,
        app: p.app,
        env: p.env,
        status: p.status,
        waitingSeconds: Math.max(0, (now - since) / 1000),
      };
    }),
  );
}
