import { harborPush } from '../../../bench/support/harbor-push.js';
import { TEST_SECRETS } from '../../support/app.js';

export interface Push {
  app: string;
  tag: string;
  /** Harbor's `occur_at`, unix seconds. */
  occurAt: number;
}

export interface SendReport {
  /** Pushes promobot acknowledged with 202. */
  accepted: number;
  /** Deliveries tried again after an error answer or a refused connection. */
  retried: number;
  /** How each attempt ended: an HTTP status, or `refused` when nothing answered. */
  outcomes: Record<string, number>;
}

export const newSendReport = (): SendReport => ({ accepted: 0, retried: 0, outcomes: {} });

/**
 * Delivers pushes as Harbor's job service does: each one POSTed until it is acknowledged with a 2xx, with a
 * backoff between attempts, so a promobot that is down or answers 503 for a lost Redis only delays a delivery.
 * At most `inFlight` deliveries are open at once.
 */
export async function sendPushes(
  port: () => number,
  pushes: readonly Push[],
  options: { inFlight?: number; deadlineMs?: number; report?: SendReport } = {},
): Promise<SendReport> {
  // The caller may pass the report to watch it fill while deliveries go on.
  const report: SendReport = options.report ?? newSendReport();
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  const queue = [...pushes];
  const deliver = async (push: Push) => {
    const body = harborPush(push.app, push.tag, push.occurAt);
    for (let attempt = 1; ; attempt += 1) {
      let outcome: string;
      try {
        const response = await fetch(`http://127.0.0.1:${port()}/webhooks/harbor`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: TEST_SECRETS.harbor },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        outcome = String(response.status);
      } catch {
        outcome = 'refused';
      }
      report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
      if (outcome.startsWith('2')) {
        report.accepted += 1;
        return;
      }
      if (/^4/.test(outcome)) throw new Error(`promobot refused ${push.app}:${push.tag} with ${outcome}`);
      if (Date.now() > deadline) throw new Error(`${push.app}:${push.tag} was never accepted`);
      report.retried += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
    }
  };
  const lanes = Array.from({ length: options.inFlight ?? 50 }, async () => {
    for (let push = queue.shift(); push; push = queue.shift()) await deliver(push);
  });
  await Promise.all(lanes);
  return report;
}
