import { headerValue, type WebhookHeaders } from '../events/index.js';
import type { WebhookSource } from '../hosts/webhook-source.js';

// What each sender is (its credential, delivery id, normalizer) lives in its host folder (hosts/<host>/webhook.ts,
// gathered in hosts/webhooks.ts); this file holds what the route checks the same way for every sender.

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
