/**
 * Two kinds of failure, and nothing in between.
 *
 * - {@link TransientError}: the world may heal (network, 5xx, 429, a push race). The job is retried with backoff.
 * - {@link PermanentError}: retrying cannot help (a policy denies it, a bad tag, a missing repo). The job fails at
 *   once, and `advice` tells the user what to change.
 */
export class PromobotError extends Error {
  readonly advice: string | undefined;
  /** For a failed call to a host's HTTP API: what was asked and what came back. */
  readonly http: HttpFailure | undefined;

  constructor(message: string, options: { cause?: unknown; advice?: string; http?: HttpFailure } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.advice = options.advice;
    this.http = options.http;
  }
}

/**
 * The HTTP side of a failed host call, as every host's client records it on the error it throws, so a set-up
 * command can turn it into the exact fix whatever the host.
 */
export interface HttpFailure {
  readonly method: string;
  readonly url: string;
  /** The answer's status; undefined when there was no answer (refused, DNS, TLS, timeout). A 2xx: a body of an unexpected shape. */
  readonly status: number | undefined;
  /** The host's own message, when it sent one. */
  readonly detail: string;
}

/** The {@link HttpFailure} a host client's error carries, if any. */
export function httpFailureOf(error: unknown): HttpFailure | undefined {
  return error instanceof PromobotError ? error.http : undefined;
}

export class TransientError extends PromobotError {
  /** How long the other side asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: { cause?: unknown; advice?: string; http?: HttpFailure; retryAfterMs?: number } = {},
  ) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

export class PermanentError extends PromobotError {}

/**
 * The host refused promobot itself a look-up or a write it needs (403, or a 404 that hides a resource from the
 * token): promobot's own setup is wrong, not the rights of the person it acts for. Retrying cannot help until an
 * operator changes the bot's role or token, so it is permanent; `capability` names what promobot could not do
 * (`read-permission`, `read-team-members`, ...) and `advice` says the exact fix.
 */
export class AccessError extends PermanentError {
  readonly capability: string;

  constructor(message: string, options: { capability: string; cause?: unknown; advice: string }) {
    super(message, options);
    this.capability = options.capability;
  }
}

/** A configuration value is missing or malformed; start-up stops with this message. */
export class ConfigError extends PromobotError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export function isTransient(error: unknown): error is TransientError {
  return error instanceof TransientError;
}

export function isAccessError(error: unknown): error is AccessError {
  return error instanceof AccessError;
}

export function isPermanent(error: unknown): error is PermanentError {
  return error instanceof PermanentError;
}

/** The message of anything thrown, for logs and replies. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
export { exponentialDelay } from './backoff.js';
