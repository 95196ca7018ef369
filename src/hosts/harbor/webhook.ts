import { verifyAuthorization } from '../webhook-authorization.js';
import { bodyHash, header, type WebhookSource } from '../webhook-source.js';
import { normalizeHarbor } from './normalize.js';

/** Harbor's webhook: a fixed Authorization header, no delivery id. */
export const harborWebhook: WebhookSource = {
  source: 'harbor',
  contentTypes: ['application/json', 'application/cloudevents+json'],
  requiredHeaders: [],
  secretVariable: 'HARBOR_WEBHOOK_SECRET',
  credential: 'Authorization header',
  authenticate: async (secrets, headers) => verifyAuthorization(secrets, header(headers, 'authorization')),
  deliveryId: (_headers, body) => bodyHash(body),
  eventName: (_headers, payload) => {
    const type = (payload as { type?: unknown } | null)?.type;
    return typeof type === 'string' && type.length <= 64 ? type : 'unknown';
  },
  normalize: normalizeHarbor,
};
