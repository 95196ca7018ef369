import { normalizeArgoCd } from './normalize.js';
import { verifyAuthorization } from '../webhook-authorization.js';
import { bodyHash, header, type WebhookSource } from '../webhook-source.js';

/** argocd-notifications' webhook service: it sends the headers its config lists (webhooks/README.md, "Argo CD"). */
export const argocdWebhook: WebhookSource = {
  source: 'argocd',
  contentTypes: ['application/json'],
  requiredHeaders: [],
  secretVariable: 'ARGOCD_WEBHOOK_SECRET',
  credential: 'Authorization header',
  authenticate: async (secrets, headers) => verifyAuthorization(secrets, header(headers, 'authorization')),
  deliveryId: (_headers, body) => bodyHash(body),
  eventName: () => 'notification',
  normalize: normalizeArgoCd,
};
