import { z } from 'zod';
import { RepoRef } from '../../events/index.js';
import { WatchState } from './watch-state.js';

/** A merged promotion PR whose environment is watched: the merge commit carries the watch's status. */
export const WatchTarget = z.object({
  policy: z.string().min(1),
  app: z.string().min(1),
  env: z.string().min(1),
  repo: RepoRef,
  pr: z.number().int().positive(),
  mergeSha: z.string().min(1),
});
export type WatchTarget = z.infer<typeof WatchTarget>;

export const WatchRoundJob = WatchTarget.extend({
  round: z.number().int().min(1),
  state: WatchState,
});
export type WatchRoundJob = z.infer<typeof WatchRoundJob>;

/** What promotion needs to open the rollback PR: which merge went bad, why, and the evidence to put in it. */
export interface WatchFailure extends WatchTarget {
  reason: string;
  /** The watch comment's markdown, for the rollback PR's body. */
  report: string;
}

/** The bullmq id of a watch round (no `:`; the watch's start keeps two watches of one merge apart). */
export function watchRoundJobId(
  job: Pick<WatchRoundJob, 'policy' | 'app' | 'env' | 'mergeSha' | 'round' | 'state'>,
) {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_');
  return [
    'watch',
    safe(job.policy),
    safe(job.app),
    safe(job.env),
    safe(job.mergeSha),
    job.state.startedAt,
    `r${job.round}`,
  ].join('-');
}
