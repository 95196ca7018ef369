import { z } from 'zod';
import {
  parsePromotionBranch,
  parsePromotionMeta,
  type PromotionMeta,
} from '../../promotion/promotion-meta.js';
import type { PullRequest } from '../../scm/types.js';
import { sameLogin } from '../same-login.js';

/** A PR promobot opened, with what its hidden block says it is about. */
export interface PromotionPullRequest {
  pr: PullRequest;
  meta: PromotionMeta;
  /**
   * The person who asked for this promotion (`/promote`, `/rollback`), who therefore may not approve it; null when
   * the bot opened it on its own (an image push, a soak ending).
   */
  requestedBy: string | null;
}

const META_JSON = /<!-- promobot:meta (\{[^\n]*?\}) -->/;

/** `requestedBy` is not (yet) a field of `PromotionMeta`, whose schema drops it: read it from the raw block. */
export const MetaRequester = z.object({ requestedBy: z.string().min(1).optional() });
export type MetaRequester = z.infer<typeof MetaRequester>;

function requesterOf(body: string): string | null {
  const json = META_JSON.exec(body)?.[1];
  if (json === undefined) return null;
  try {
    const parsed = MetaRequester.safeParse(JSON.parse(json));
    return parsed.success ? (parsed.data.requestedBy ?? null) : null;
  } catch {
    return null;
  }
}

/**
 * The PR as a promotion PR, or null when promobot did not open it: all of the promotion branch
 * (`promobot/<env>/<app>` or its rollback form), a valid metadata block naming the same app and environment, and
 * the bot as the PR's author must hold, since anyone with write access could push such a branch or copy the block.
 */
export function readPromotionPullRequest(pr: PullRequest, botLogin: string): PromotionPullRequest | null {
  if (!sameLogin(pr.author, botLogin)) return null;
  const branch = parsePromotionBranch(pr.headRef);
  const meta = parsePromotionMeta(pr.body);
  if (branch === null || meta === null) return null;
  if (branch.app !== meta.app || branch.env !== meta.env || branch.kind !== meta.kind) return null;
  return { pr, meta, requestedBy: requesterOf(pr.body) };
}
