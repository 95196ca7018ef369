import { createHash } from 'node:crypto';
import type { EnvVarName } from '../config/index.js';
import { headerValue, type Normalizer, type WebhookHeaders } from '../events/normalize-result.js';
import type { Source } from '../events/types.js';

/** How one sender is checked, identified and read; the webhook route is the same for all of them. */
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
  /** The sender's payload as domain events (pure; throws PayloadValidationError for a malformed body). */
  readonly normalize: Normalizer;
}

/** A delivery id for senders that send none: the same body is the same delivery. */
export const bodyHash = (body: Buffer): string =>
  `body-${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;

/** A header's value, or '' when absent. */
export const header = (headers: WebhookHeaders, name: string): string => headerValue(headers, name) ?? '';
