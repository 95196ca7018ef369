import { z } from 'zod';
import { RepoRef } from '../../events/index.js';
import { GateState } from '../rounds.js';

/** Rounds travel on the gates queue; its name lives with the other queues'. */
export { GATES_QUEUE } from '../../queue/queue-names.js';

/** What a gate soak is about: one environment's promotion PR, at one head commit. */
export const GateTarget = z.object({
  /** Policy name (`metadata.name`). */
  policy: z.string().min(1),
  app: z.string().min(1),
  /** The environment being promoted into; its gates are measured in its `from` environment. */
  env: z.string().min(1),
  repo: RepoRef,
  pr: z.number().int().positive(),
  headSha: z.string().min(1),
  /**
   * The candidate the PR promotes and the tag the target runs now, for the `{{tag}}`, `{{image}}` and `{{digest}}`
   * placeholders (candidate queries get the candidate, baselines the current tag). From promobot's decision.
   */
  candidate: z
    .object({
      image: z.string().min(1),
      tag: z.string().min(1),
      digest: z.string().min(1).optional(),
      baselineTag: z.string().min(1).nullable().optional(),
    })
    .optional(),
});
export type GateTarget = z.infer<typeof GateTarget>;

/** One scheduled round: the target, which round it is (1-based) and the soak so far. */
export const GateRoundJob = GateTarget.extend({
  round: z.number().int().min(1),
  state: GateState,
});
export type GateRoundJob = z.infer<typeof GateRoundJob>;

/**
 * The bullmq id of a round. bullmq refuses `:` in custom ids, so every part is reduced to `[A-Za-z0-9._-]`. The
 * soak's start time is part of it: a head that comes back after another one (a force-push undone) starts a fresh
 * soak whose ids do not collide with the finished jobs of the earlier one.
 */
export function gateRoundJobId(
  job: Pick<GateRoundJob, 'repo' | 'pr' | 'headSha' | 'round' | 'state'>,
): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_');
  return [
    'gates',
    safe(job.repo.owner),
    safe(job.repo.name),
    String(job.pr),
    safe(job.headSha),
    String(job.state.startedAt),
    `r${job.round}`,
  ].join('-');
}
