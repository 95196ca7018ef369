import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';

/**
 * What ties a log line to the delivery that caused it. `deliveryId` is the sender's id of the webhook delivery (a
 * hash of the body for senders that name none); `correlationId` is the id of the first job of the chain, so two
 * deliveries of one image push (the same job) share it. Work that no delivery caused (a startup reconcile, a timer
 * set by one) carries the id of its own first job in both.
 */
export const Trace = z.object({
  deliveryId: z.string().min(1).max(256),
  correlationId: z.string().min(1).max(256),
});
export type Trace = z.infer<typeof Trace>;

// The carrier, not the data: each job's trace lives in its own asynchronous context (`runWithTrace`), so two jobs
// (or two workers in one test process) never see each other's. It lets a job's trace reach the jobs it enqueues
// and every log line written on its behalf without threading it through each port.
const carrier = new AsyncLocalStorage<Trace>();

/** Runs `work` with `trace` current: log lines written and jobs enqueued inside carry it. */
export function runWithTrace<T>(trace: Trace, work: () => T): T {
  return carrier.run(trace, work);
}

/** The trace of the job running here; undefined outside one (the webhook intake, startup). */
export function currentTrace(): Trace | undefined {
  return carrier.getStore();
}

/** For pino's mixin: the current trace's ids, unless the logger's bindings name them already. */
export function traceFields(bindings: () => Record<string, unknown>): Record<string, string> {
  const trace = carrier.getStore();
  if (trace === undefined) return {};
  const bound = bindings();
  return {
    ...(bound.deliveryId === undefined ? { deliveryId: trace.deliveryId } : {}),
    ...(bound.correlationId === undefined ? { correlationId: trace.correlationId } : {}),
  };
}
