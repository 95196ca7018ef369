import { z } from 'zod';

/** Longest string promobot keeps from an Application (messages are shown in PRs; Argo CD's can be long). */
const text = z.string().max(64 * 1024);
const name = z.string().max(512);

const Health = z.object({ status: name.optional(), message: text.optional() });
const Revisions = { revision: name.optional(), revisions: z.array(name).max(100).optional() };

/**
 * The parts of Argo CD's `v1alpha1Application` (GET /api/v1/applications/{name}) that verification reads. Status
 * values stay strings: Argo CD may add values, and what promobot does not know is never "verified".
 */
export const ArgoApplication = z.object({
  metadata: z.object({ name, namespace: name.optional() }),
  spec: z.object({ project: name.optional() }).optional(),
  status: z
    .object({
      sync: z.object({ status: name.optional(), ...Revisions }).optional(),
      health: Health.optional(),
      operationState: z
        .object({
          phase: name.optional(),
          message: text.optional(),
          startedAt: name.optional(),
          finishedAt: name.optional(),
          syncResult: z.object(Revisions).optional(),
        })
        .optional(),
      summary: z.object({ images: z.array(text).max(10_000).optional() }).optional(),
      resources: z
        .array(
          z.object({
            group: name.optional(),
            kind: name.optional(),
            name: name.optional(),
            namespace: name.optional(),
            status: name.optional(),
            health: Health.optional(),
          }),
        )
        .max(100_000)
        .optional(),
      conditions: z
        .array(z.object({ type: name.optional(), message: text.optional() }))
        .max(1_000)
        .optional(),
      reconciledAt: name.optional(),
    })
    .optional(),
});
export type ArgoApplication = z.infer<typeof ArgoApplication>;

/** grpc-gateway's error body, as Argo CD sends it (the contract's `runtimeError`). */
export const ArgoError = z.object({
  error: text.optional(),
  code: z.number().optional(),
  message: text.optional(),
});
