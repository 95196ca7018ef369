import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { PermanentError, TransientError, errorMessage } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import type { NotifySink, SecretRef } from '../policy/schema.js';
import type { RedisKeys } from '../redis/keys.js';
import type { NotifyEvent } from './event.js';
import { MAX_BODY_BYTES, renderSinkRequest } from './render-request.js';

export type Sink = z.output<typeof NotifySink>;

/** Reads a secret reference at send time; a missing one is permanent until someone fixes the deployment. */
export async function readSecret(ref: z.output<typeof SecretRef>, env: NodeJS.ProcessEnv): Promise<string> {
  if ('env' in ref) {
    const value = env[ref.env]?.trim();
    if (!value) throw new PermanentError(`environment variable ${ref.env} is not set`);
    return value;
  }
  try {
    const value = (await readFile(ref.file, 'utf8')).trim();
    if (!value) throw new PermanentError(`secret file ${ref.file} is empty`);
    return value;
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    throw new PermanentError(`secret file ${ref.file} cannot be read: ${errorMessage(error)}`);
  }
}

/** The URL with its path and query dropped: chat bot URLs carry their token there. Safe to log. */
export function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}

export interface DeliverDeps {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Sends one event to one sink, once. A 2xx (and, for Feishu and DingTalk, a zero error code in the answer) is
 * delivered; 408, 429, 5xx, a timeout or a network error is a `TransientError` (retried with backoff); any other
 * 4xx, a bad URL or a missing secret is a `PermanentError` (logged, counted, not retried). Over the sink's rate
 * limit it waits, as a transient error, until the next minute.
 */
export async function deliverToSink(
  policy: string,
  sink: Sink,
  event: z.output<typeof NotifyEvent>,
  eventId: string,
  deps: DeliverDeps,
): Promise<void> {
  const now = deps.now ?? Date.now;
  const url = await readSecret(sink.url, deps.env);
  if (!/^https?:\/\//.test(url)) throw new PermanentError(`sink ${sink.name}: its URL is not http(s)`);
  const secret = sink.secret ? await readSecret(sink.secret, deps.env) : undefined;

  const minute = Math.floor(now() / 60_000);
  const rateKey = deps.keys.notifyRate(policy, sink.name, minute);
  const sent = await deps.redis.incr(rateKey);
  if (sent === 1) await deps.redis.expire(rateKey, 120);
  if (sent > sink.perMinute)
    throw new TransientError(`sink ${sink.name} is over its ${sink.perMinute} messages a minute`, {
      retryAfterMs: (minute + 1) * 60_000 - now() + 100,
    });

  const request = renderSinkRequest(
    sink,
    secret === undefined ? { url } : { url, secret },
    event,
    eventId,
    now(),
  );
  if (Buffer.byteLength(request.body) > MAX_BODY_BYTES)
    throw new PermanentError(`notification body is over ${MAX_BODY_BYTES} bytes`);
  const where = redactUrl(url);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(deps.timeoutMs),
      redirect: 'manual',
    });
  } catch (error) {
    throw new TransientError(`sink ${sink.name} at ${where} did not answer: ${errorMessage(error)}`);
  }
  // Only a short answer is read: a sink cannot make the worker hold a large body.
  const text = (await response.text().catch(() => '')).slice(0, 2048);
  const status = response.status;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new TransientError(`sink ${sink.name} at ${where} answered ${status}`, {
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    });
  }
  if (status < 200 || status >= 300)
    throw new PermanentError(`sink ${sink.name} at ${where} refused the message with ${status}`);
  const code = botErrorCode(sink.kind, text);
  if (code !== undefined) {
    // DingTalk 130101: "send too fast, exceed 20 times per minute" — wait, like a 429.
    if (sink.kind === 'dingtalk' && code === 130101)
      throw new TransientError(`sink ${sink.name} is sending too fast (DingTalk 130101)`, {
        retryAfterMs: 60_000,
      });
    throw new PermanentError(`sink ${sink.name} at ${where} refused the message: error code ${code}`);
  }
  deps.logger.info({ sink: sink.name, kind: sink.kind, host: where, status }, 'notification delivered');
}

/**
 * Feishu and DingTalk answer 200 with an error code in the body (Feishu `code`, e.g. 19021 for a bad signature;
 * DingTalk `errcode`, e.g. 310000 for a bad sign). Nonzero is returned; anything unreadable counts as success.
 */
function botErrorCode(kind: Sink['kind'], text: string): number | undefined {
  if (kind !== 'feishu' && kind !== 'dingtalk') return undefined;
  try {
    const body = JSON.parse(text) as { code?: unknown; errcode?: unknown; StatusCode?: unknown };
    const code = kind === 'feishu' ? (body.code ?? body.StatusCode) : body.errcode;
    return typeof code === 'number' && code !== 0 ? code : undefined;
  } catch {
    return undefined;
  }
}
