import { giteaEventType, normalizeGitea } from './normalize.js';
import { verifyHexHmac } from '../webhook-signature.js';
import { header, type WebhookSource } from '../webhook-source.js';

/** Gitea's webhook: an HMAC-SHA256 of the body in X-Gitea-Signature, and a delivery id. */
export const giteaWebhook: WebhookSource = {
  source: 'gitea',
  // Gitea can also post forms; promobot asks for JSON so the signature covers exactly what it parses.
  contentTypes: ['application/json'],
  requiredHeaders: ['x-gitea-delivery', ['x-gitea-event-type', 'x-gitea-event']],
  secretVariable: 'GITEA_WEBHOOK_SECRET',
  credential: 'X-Gitea-Signature',
  authenticate: async (secrets, headers, body) =>
    verifyHexHmac(secrets, body, header(headers, 'x-gitea-signature')),
  deliveryId: (headers) => header(headers, 'x-gitea-delivery'),
  eventName: (headers) => giteaEventType(headers) ?? 'unknown',
  normalize: normalizeGitea,
};
