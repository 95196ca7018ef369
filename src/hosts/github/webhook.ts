import { normalizeGitHub } from './normalize.js';
import { verifyGitHubSignature } from '../webhook-signature.js';
import { header, type WebhookSource } from '../webhook-source.js';

/** GitHub's webhook: X-Hub-Signature-256 over the body, and a delivery GUID. */
export const githubWebhook: WebhookSource = {
  source: 'github',
  contentTypes: ['application/json'],
  requiredHeaders: ['x-github-delivery', 'x-github-event'],
  secretVariable: 'GITHUB_WEBHOOK_SECRET',
  credential: 'X-Hub-Signature-256',
  authenticate: (secrets, headers, body) =>
    verifyGitHubSignature(secrets, body, header(headers, 'x-hub-signature-256')),
  deliveryId: (headers) => header(headers, 'x-github-delivery'),
  eventName: (headers) => header(headers, 'x-github-event') || 'unknown',
  normalize: normalizeGitHub,
};
