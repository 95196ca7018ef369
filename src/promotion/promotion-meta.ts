import { z } from 'zod';

/**
 * The hidden block in every promotion PR's body from which the bot rebuilds what the PR is about after a restart or
 * a lost Redis: `<!-- promobot:meta {...} -->`. Parsed with zod like any other outside input, since anyone who can
 * edit the PR can edit it.
 */
export const PromotionMeta = z.object({
  v: z.literal(1),
  policy: z.string().min(1),
  app: z.string().min(1),
  env: z.string().min(1),
  /** Environment the candidate comes from; absent for an entry environment fed by image pushes. */
  from: z.string().min(1).optional(),
  tag: z.string().min(1),
  digest: z.string().min(1).optional(),
  /** The tag the environment ran when the PR was opened or refreshed. */
  previousTag: z.string().min(1).nullable(),
  /**
   * Written by earlier versions; never read: who asked for a PR is ChatOps state, which only promobot writes,
   * while anyone who can edit the PR can edit this block.
   */
  requestedBy: z.string().min(1).optional(),
  /** 'promotion' carries a candidate forward; 'rollback' returns to an earlier tag. */
  kind: z.enum(['promotion', 'rollback']).default('promotion'),
  /**
   * When the candidate was verified running in `from` (ISO time), where `from` has `verify:`: the soak's start.
   * Shown to people only; promobot decides from its own record in Redis (or asks Argo CD again), never from this.
   */
  verifiedAt: z.string().datetime().optional(),
});
export type PromotionMeta = z.infer<typeof PromotionMeta>;

const META_RE = /<!-- promobot:meta (\{[^\n]*?\}) -->/;

/** The hidden block for a PR body. `-->` cannot occur inside: JSON escapes `>` as \u003e here. */
export function renderPromotionMeta(meta: PromotionMeta): string {
  return `<!-- promobot:meta ${JSON.stringify(meta).replace(/>/g, '\\u003e')} -->`;
}

/** `body` with its metadata block replaced by `meta`'s (unchanged when it has none). */
export function replacePromotionMeta(body: string, meta: PromotionMeta): string {
  return META_RE.test(body) ? body.replace(META_RE, () => renderPromotionMeta(meta)) : body;
}

/** The metadata of a PR body, or null when the body has no valid block (not the bot's PR, or tampered with). */
export function parsePromotionMeta(body: string): PromotionMeta | null {
  const match = META_RE.exec(body);
  if (!match?.[1]) return null;
  let json: unknown;
  try {
    json = JSON.parse(match[1]);
  } catch {
    return null;
  }
  const parsed = PromotionMeta.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** The bot's branch for one app and environment: `promobot/<env>/<app>`. Rollbacks get their own. */
export function promotionBranch(env: string, app: string, kind: PromotionMeta['kind'] = 'promotion'): string {
  return kind === 'rollback' ? `promobot/rollback/${env}/${app}` : `promobot/${env}/${app}`;
}

/** `promobot/<env>/<app>` → its parts, or null for any other branch. */
export function parsePromotionBranch(
  branch: string,
): { env: string; app: string; kind: PromotionMeta['kind'] } | null {
  const rollback = /^promobot\/rollback\/([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(branch);
  if (rollback?.[1] && rollback[2]) return { env: rollback[1], app: rollback[2], kind: 'rollback' };
  const promotion = /^promobot\/([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(branch);
  if (promotion?.[1] && promotion[2] && promotion[1] !== 'rollback')
    return { env: promotion[1], app: promotion[2], kind: 'promotion' };
  return null;
}
