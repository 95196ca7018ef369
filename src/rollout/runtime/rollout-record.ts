import { z } from 'zod';

const Evidence = z
  .object({
    syncMessage: z.string().max(4096).optional(),
    healthMessage: z.string().max(4096).optional(),
    resource: z.string().max(1024).optional(),
  })
  .strict();

/**
 * promobot's own record of one environment's verification, in Redis (`<prefix>:rollout:<policy>:<app>:<env>`):
 * the trusted copy of "since when does this environment really run the candidate". Only promobot writes it; when
 * Redis loses it, verification starts again from Argo CD (the soak then starts later, never earlier).
 */
export const RolloutRecord = z.object({
  v: z.literal(1),
  tag: z.string().min(1).max(256),
  /** promobot's landing commit of the tag on the deploy branch. */
  landingCommit: z.string().min(1).max(64),
  /** When promobot started waiting for this tag here, and the next round's time (ms). */
  startedAt: z.number(),
  nextAt: z.number(),
  attempt: z.number().int().min(0),
  state: z.enum(['waiting', 'verified', 'failed']),
  reason: z.string().max(8192),
  verifiedAt: z.number().optional(),
  evidence: Evidence.optional(),
  /** A failure's rollback (verify.onFailure: rollback): asked for, then opened (or refused); redone after a crash. */
  rollback: z.enum(['pending', 'done']).optional(),
});
export type RolloutRecord = z.infer<typeof RolloutRecord>;

/** A post-merge watch that starts once the environment is verified running what `mergeSha` landed. */
export const DeferredWatch = z.object({
  pr: z.number().int().positive(),
  mergeSha: z.string().min(1).max(64),
});
export type DeferredWatch = z.infer<typeof DeferredWatch>;

/** Parses a stored JSON value; anything malformed is treated as absent (and so rebuilt from Argo CD). */
export function parseStored<T>(schema: z.ZodType<T>, raw: string | null): T | null {
  if (raw === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
