import { createHash } from 'node:crypto';
import type { EnvVarName } from '../config/index.js';
import { giteaEventType, headerValue, type Source, type WebhookHeaders } from '../events/index.js';
import { verifyAuthorization } from './verify-authorization.js';
import { verifyGitHubSignature, verifyHexHmac } from './verify-signature.js';

/** How one sender is checked and identified; the route is the same for all four. */
export interface WebhookSource {
  readonly source: Source;
  /** Media types (without parameters) the sender uses. */
  readonly contentTypes: readonly string[];
  /**
   * Headers that must be present (400 when absent); an inner list means "one of these". The credential header is
   * not among them: a missing signature is a 401 like a wrong one.
   */
  readonly requiredHeaders: readonly (string | readonly string[])[];
  /** The variable whose secrets authenticate this sender, named in 401 answers. */
  readonly secretVariable: EnvVarName;
  /** What is checked, for the 401 message. */
  readonly credential: string;
  authenticate(secrets: readonly string[], headers: WebhookHeaders, body: Buffer): Promise<boolean>;
  /** The sender's delivery id, or a hash of the body for senders that have none. */
  deliveryId(headers: WebhookHeaders, body: Buffer): string;
  /** The sender's name of the event, for metrics; read only after authentication. */
  eventName(headers: WebhookHeaders, payload: unknown): string;
}

const bodyHash = (body: Buffer) => `body-${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
const header = (headers: WebhookHeaders, name: string) => headerValue(headers, name) ?? '';

export const WEBHOOK_SOURCES: Readonly<Record<Source, WebhookSource>> = {
  harbor: {
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
  },
  registry: {
    source: 'registry',
    contentTypes: ['application/vnd.docker.distribution.events.v2+json', 'application/json'],
    requiredHeaders: [],
    secretVariable: 'REGISTRY_WEBHOOK_SECRET',
    credential: 'Authorization header',
    authenticate: async (secrets, headers) => verifyAuthorization(secrets, header(headers, 'authorization')),
    deliveryId: (_headers, body) => bodyHash(body),
    eventName: () => 'notification',
  },
  gitea: {
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
  },
  argocd: {
    source: 'argocd',
    // argocd-notifications' webhook service sends the headers its config lists (webhooks/README.md, "Argo CD").
    contentTypes: ['application/json'],
    requiredHeaders: [],
    secretVariable: 'ARGOCD_WEBHOOK_SECRET',
    credential: 'Authorization header',
    authenticate: async (secrets, headers) => verifyAuthorization(secrets, header(headers, 'authorization')),
    deliveryId: (_headers, body) => bodyHash(body),
    eventName: () => 'notification',
  },
  github: {
    source: 'github',
    contentTypes: ['application/json'],
    requiredHeaders: ['x-github-delivery', 'x-github-event'],
    secretVariable: 'GITHUB_WEBHOOK_SECRET',
    credential: 'X-Hub-Signature-256',
    authenticate: (secrets, headers, body) =>
      verifyGitHubSignature(secrets, body, header(headers, 'x-hub-signature-256')),
    deliveryId: (headers) => header(headers, 'x-github-delivery'),
    eventName: (headers) => header(headers, 'x-github-event') || 'unknown',
  },
};

/** Delivery ids become part of job ids, so only a safe alphabet is accepted (UUIDs, GitHub's GUIDs). */
export const DELIVERY_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The media type of a `Content-Type` header, lower case and without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The first required header that is missing, or undefined when all are there. */
export function missingHeader(spec: WebhookSource, headers: WebhookHeaders): string | undefined {
  for (const required of spec.requiredHeaders) {
    const names = typeof required === 'string' ? [required] : required;
    if (!names.some((name) => (headerValue(headers, name) ?? '') !== '')) return names.join(' or ');
  }
  return undefined;
}
