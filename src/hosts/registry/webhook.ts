import { verifyAuthorization } from '../webhook-authorization.js';
import { bodyHash, header, type WebhookSource } from '../webhook-source.js';
import { normalizeRegistry } from './normalize.js';

/** A CNCF distribution registry's notifications: a configured Authorization header, no delivery id. */
export const registryWebhook: WebhookSource = {
  source: 'registry',
  contentTypes: ['application/vnd.docker.distribution.events.v2+json', 'application/json'],
  requiredHeaders: [],
  secretVariable: 'REGISTRY_WEBHOOK_SECRET',
  credential: 'Authorization header',
  authenticate: async (secrets, headers) => verifyAuthorization(secrets, header(headers, 'authorization')),
  deliveryId: (_headers, body) => bodyHash(body),
  eventName: () => 'notification',
  normalize: normalizeRegistry,
};
