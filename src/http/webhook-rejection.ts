import type { DeliveryOutcome } from '../metrics/index.js';

/** A delivery refused before anything was enqueued: the status, the metric outcome, and what to tell the sender. */
export class WebhookRejection extends Error {
  readonly status: number;
  readonly outcome: DeliveryOutcome;

  constructor(status: number, outcome: DeliveryOutcome, message: string) {
    super(message);
    this.name = 'WebhookRejection';
    this.status = status;
    this.outcome = outcome;
  }
}
