import type { DomainEvent } from './types.js';

/** Header names in lower case, as node's http module presents them. */
export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** What a delivery becomes: the events it carries, or the reason it carries none worth acting on. */
export type NormalizeResult = { readonly events: readonly DomainEvent[] } | { readonly ignored: string };

/**
 * A pure translation of one vendor delivery into domain events. Throws `PayloadValidationError` when the body
 * does not match the vendor's documented shape.
 */
export type Normalizer = (headers: WebhookHeaders, body: unknown) => NormalizeResult;

/** The first value of a header, if the sender set it. */
export function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
