import { z } from 'zod';
import type { NormalizeResult, WebhookHeaders } from '../../events/normalize-result.js';
import { PayloadValidationError } from '../../events/payload-validation-error.js';

/** A Kubernetes object name or namespace (DNS subdomain). */
const ObjectName = z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'a Kubernetes object name');

/**
 * The body of promobot's argocd-notifications template (webhooks/README.md, "Argo CD"): the Application's name and
 * namespace, and what Argo CD saw, as strings. Other keys are ignored; values Argo CD leaves empty arrive as "".
 */
export const ArgoCdNotification = z.object({
  app: ObjectName,
  appNamespace: z.union([ObjectName, z.literal('')]).optional(),
  revision: z.string().max(256).optional(),
  syncStatus: z.string().max(64).optional(),
  healthStatus: z.string().max(64).optional(),
  operationPhase: z.string().max(64).optional(),
});
export type ArgoCdNotification = z.infer<typeof ArgoCdNotification>;

/** Turns one argocd-notifications delivery into a `RolloutObserved` hint. */
export function normalizeArgoCd(_headers: WebhookHeaders, body: unknown): NormalizeResult {
  const parsed = ArgoCdNotification.safeParse(body);
  if (!parsed.success) throw PayloadValidationError.fromZod('Argo CD notification', parsed.error);
  const { app, appNamespace, revision } = parsed.data;
  return {
    events: [
      {
        type: 'RolloutObserved',
        source: 'argocd',
        application: app,
        ...(appNamespace ? { appNamespace } : {}),
        ...(revision ? { revision } : {}),
      },
    ],
  };
}
