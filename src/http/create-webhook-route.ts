import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../config/index.js';
import { errorMessage } from '../errors/index.js';
import { DomainEvent, PayloadValidationError, type Source } from '../events/index.js';
import { WEBHOOK_SOURCES } from '../hosts/webhooks.js';
import type { Logger } from '../logger/index.js';
import type { DeliveryOutcome, Metrics } from '../metrics/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { QueueUnavailableError, jobIdFor, type EventJob, type EventProducer } from '../queue/index.js';
import { screenEvent, type IgnoreReason } from './screen-events.js';
import { WebhookRejection } from './webhook-rejection.js';
import { DELIVERY_ID, mediaType, missingHeader } from './webhook-sources.js';

/** What a webhook route needs of the queue. */
export type WebhookQueue = Pick<EventProducer, 'enqueue'>;

export interface WebhookRouteDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly queue: WebhookQueue;
  readonly metrics: Metrics;
  /**
   * The policy set in force, read per delivery so a reload applies at once. Deliveries that cannot lead to any
   * effect under it are answered 200 without a job ({@link screenEvent}). Without it every event is queued (a
   * route that knows no policies, as in tests of the route alone).
   */
  readonly policies?: () => readonly PromotionPolicy[];
}

/** Per-request facts gathered along the way, for the one metric and log line written when the answer is sent. */
interface DeliveryRecord {
  started: number;
  event: string;
  outcome: DeliveryOutcome;
  deliveryId?: string;
  jobIds?: readonly string[];
  reason?: string;
}

/**
 * The handlers of `POST /webhooks/<source>`, in the order the checks run: content type (415), required headers
 * (400), raw body within the limit (413), credential over the raw bytes (401), JSON (400), payload schema (400),
 * then dedupe and enqueue (202, or 503 with nothing enqueued) — or 200 with the reason nothing is done.
 */
export function createWebhookRoute(source: Source, deps: WebhookRouteDeps): RequestHandler[] {
  const spec = WEBHOOK_SOURCES[source];
  const secrets = deps.config.webhookSecrets[source];
  const logger = deps.logger.child({ component: 'http', source });

  const record = (res: Response): DeliveryRecord => res.locals['delivery'] as DeliveryRecord;
  const reject = (res: Response, rejection: WebhookRejection) => {
    const delivery = record(res);
    delivery.outcome = rejection.outcome;
    delivery.reason = rejection.message;
    res.status(rejection.status).json({ error: rejection.message });
  };

  const start: RequestHandler = (req, res, next) => {
    const delivery: DeliveryRecord = { started: performance.now(), event: 'unknown', outcome: 'error' };
    res.locals['delivery'] = delivery;
    res.once('finish', () => {
      const seconds = (performance.now() - delivery.started) / 1000;
      deps.metrics.delivery(source, delivery.event, delivery.outcome, seconds);
      const fields = {
        deliveryId: delivery.deliveryId,
        event: delivery.event,
        outcome: delivery.outcome,
        status: res.statusCode,
        jobIds: delivery.jobIds,
        reason: delivery.reason,
        ms: Math.round(seconds * 10_000) / 10,
      };
      if (res.statusCode >= 500) logger.error(fields, 'webhook delivery not accepted');
      else if (res.statusCode === 401) logger.warn(fields, 'webhook delivery refused');
      else logger.info(fields, 'webhook delivery answered');
    });

    const type = mediaType(req.headers['content-type']);
    if (!spec.contentTypes.includes(type)) {
      return reject(
        res,
        new WebhookRejection(
          415,
          'unsupported_media_type',
          `content type ${type || '(none)'} is not accepted; send ${spec.contentTypes.join(' or ')}`,
        ),
      );
    }
    const missing = missingHeader(spec, req.headers);
    if (missing !== undefined) {
      return reject(res, new WebhookRejection(400, 'malformed', `header ${missing} is required`));
    }
    next();
  };

  const readBody = express.raw({ type: () => true, limit: deps.config.bodyLimitBytes });

  const handle = async (req: Request, res: Response): Promise<void> => {
    const delivery = record(res);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      if (secrets.length === 0) {
        throw new WebhookRejection(
          401,
          'unauthorized',
          `${spec.secretVariable} is not set: every ${source} delivery is refused until it is`,
        );
      }
      if (!(await spec.authenticate(secrets, req.headers, body))) {
        throw new WebhookRejection(
          401,
          'unauthorized',
          `${spec.credential} does not match any secret in ${spec.secretVariable}`,
        );
      }
      const deliveryId = spec.deliveryId(req.headers, body);
      if (!DELIVERY_ID.test(deliveryId)) {
        throw new WebhookRejection(
          400,
          'malformed',
          'delivery id must be 1-128 letters, digits, ".", "_" or "-"',
        );
      }
      delivery.deliveryId = deliveryId;

      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new WebhookRejection(400, 'malformed', `body is not valid JSON: ${errorMessage(error)}`);
      }
      delivery.event = spec.eventName(req.headers, payload);

      let result;
      try {
        result = spec.normalize(req.headers, payload);
      } catch (error) {
        if (error instanceof PayloadValidationError)
          throw new WebhookRejection(400, 'malformed', error.message);
        throw error;
      }
      const ignore = (reason: IgnoreReason, message: string) => {
        delivery.outcome = 'ignored';
        delivery.reason = message;
        deps.metrics.ignored(source, reason);
        res.status(200).json({ ignored: message, reason });
      };
      if ('ignored' in result) return ignore('not-acted-on', result.ignored);

      // The normalizers check the vendor's shape; this checks what they made of it (an empty host, a blank
      // name), so no delivery becomes a job the worker would refuse.
      for (const event of result.events) {
        const checked = DomainEvent.safeParse(event);
        if (!checked.success)
          throw new WebhookRejection(
            400,
            'malformed',
            PayloadValidationError.fromZod(`${source} delivery`, checked.error).message,
          );
      }
      // Screened per event: a Harbor push of several images keeps the ones some policy promotes. Job ids keep
      // each event's place in the delivery, so a redelivery dedupes whatever the policies were.
      const policies = deps.policies?.();
      const screened = result.events.map((event) => (policies ? screenEvent(event, policies) : null));
      const firstIgnored = screened.find((s) => s !== null);
      if (firstIgnored && screened.every((s) => s !== null))
        return ignore(firstIgnored.reason, firstIgnored.message);
      const receivedAt = new Date().toISOString();
      const jobs = new Map<string, EventJob>();
      result.events.forEach((event, index) => {
        if (screened[index] !== null) return;
        const jobId = jobIdFor(source, event, deliveryId, index);
        jobs.set(jobId, { jobId, data: { deliveryId, source, receivedAt, event } });
      });
      const enqueued = await deps.queue.enqueue([...jobs.values()]);
      delivery.jobIds = enqueued.jobIds;
      delivery.outcome = enqueued.duplicate ? 'duplicate' : 'accepted';
      res.status(202).json({ jobIds: enqueued.jobIds, duplicate: enqueued.duplicate });
    } catch (error) {
      if (error instanceof WebhookRejection) return reject(res, error);
      if (error instanceof QueueUnavailableError) {
        delivery.outcome = 'unavailable';
        delivery.reason = error.message;
        res
          .status(503)
          .set('Retry-After', '5')
          .json({ error: 'queue unavailable; nothing was enqueued, retry later' });
        return;
      }
      delivery.reason = errorMessage(error);
      res.status(500).json({ error: 'internal error' });
    }
  };

  return [start, readBody, handle];
}

/**
 * Answers body-reading failures of webhook routes: 413 over the limit, 415 for an unknown charset or encoding,
 * 400 for anything else (an aborted or broken body).
 */
export function webhookBodyErrors(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  const delivery = res.locals['delivery'] as DeliveryRecord | undefined;
  const type = (error as { type?: unknown }).type;
  if (delivery === undefined || typeof type !== 'string') return next(error);
  let rejection: WebhookRejection;
  if (type === 'entity.too.large') {
    const limit = (error as { limit?: number }).limit;
    rejection = new WebhookRejection(
      413,
      'too_large',
      `body is larger than the limit of ${limit ?? '?'} bytes`,
    );
  } else if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    rejection = new WebhookRejection(415, 'unsupported_media_type', errorMessage(error));
  } else {
    rejection = new WebhookRejection(400, 'malformed', `body could not be read: ${errorMessage(error)}`);
  }
  delivery.outcome = rejection.outcome;
  delivery.reason = rejection.message;
  if (res.headersSent) return;
  res.status(rejection.status).json({ error: rejection.message });
}
