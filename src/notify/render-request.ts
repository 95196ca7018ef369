import type { z } from 'zod';
import type { NotifySink } from '../policy/schema.js';
import { cap, renderEventText, type NotifyEvent } from './event.js';
import { dingtalkSign, feishuSign, webhookSignature } from './sign.js';

/** The largest body promobot sends to any sink. */
export const MAX_BODY_BYTES = 16 * 1024;
/** Longest chat text (Slack, Feishu and DingTalk all take more; a promotion line never needs it). */
const MAX_TEXT_CHARS = 3000;

/** Headers on every request, so any receiver can drop a redelivery of the same event. */
export const EVENT_ID_HEADER = 'X-Promobot-Event-Id';
export const TIMESTAMP_HEADER = 'X-Promobot-Timestamp';
export const SIGNATURE_HEADER = 'X-Promobot-Signature';

export interface SinkRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The HTTP request that tells one sink about one event: pure, so the signatures are tested byte for byte. `url`
 * and `secret` are the values read from the sink's secret references; `nowMs` is the send time.
 */
export function renderSinkRequest(
  sink: Pick<z.output<typeof NotifySink>, 'kind'>,
  secrets: { url: string; secret?: string },
  event: z.output<typeof NotifyEvent>,
  eventId: string,
  nowMs: number,
): SinkRequest {
  const text = cap(renderEventText(event), MAX_TEXT_CHARS);
  const headers: Record<string, string> = { 'Content-Type': 'application/json', [EVENT_ID_HEADER]: eventId };
  const seconds = Math.floor(nowMs / 1000);
  switch (sink.kind) {
    case 'slack':
      return { url: secrets.url, headers, body: JSON.stringify({ text }) };
    case 'webhook': {
      const body = JSON.stringify({ id: eventId, ...event, text });
      return {
        url: secrets.url,
        headers: {
          ...headers,
          [TIMESTAMP_HEADER]: String(seconds),
          [SIGNATURE_HEADER]: webhookSignature(secrets.secret ?? '', seconds, body),
        },
        body,
      };
    }
    case 'feishu': {
      const signed = secrets.secret
        ? { timestamp: String(seconds), sign: feishuSign(secrets.secret, seconds) }
        : {};
      return {
        url: secrets.url,
        headers,
        body: JSON.stringify({ ...signed, msg_type: 'text', content: { text } }),
      };
    }
    case 'dingtalk': {
      const url = new URL(secrets.url);
      if (secrets.secret) {
        url.searchParams.set('timestamp', String(nowMs));
        url.searchParams.set('sign', dingtalkSign(secrets.secret, nowMs));
      }
      return {
        url: url.toString(),
        headers,
        body: JSON.stringify({ msgtype: 'text', text: { content: text } }),
      };
    }
  }
}
