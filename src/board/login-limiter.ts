/** Failed sign-ins one client may make per window before `/login` answers 429. */
export const LOGIN_MAX_FAILURES = 10;
export const LOGIN_WINDOW_MS = 60_000;
/** Clients tracked at once: past this, the oldest windows are forgotten first, so the map stays small. */
export const LOGIN_MAX_CLIENTS = 10_000;

export interface LoginLimiter {
  /** Whether `client` may try a token now; when not, in how many seconds it may. */
  check(client: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  /** Counts a refused token against `client`. */
  fail(client: string): void;
}

/**
 * A small in-process limiter for the sign-in form: at most `max` refused tokens per client (its socket address)
 * per fixed window. Each `serve` replica counts on its own, so N replicas allow N times as many guesses; tokens
 * must be long and random either way. Its state lives in the router that made it, never in the module.
 */
export function createLoginLimiter(
  options: { max?: number; windowMs?: number; maxClients?: number; now?: () => number } = {},
): LoginLimiter {
  const max = options.max ?? LOGIN_MAX_FAILURES;
  const windowMs = options.windowMs ?? LOGIN_WINDOW_MS;
  const maxClients = options.maxClients ?? LOGIN_MAX_CLIENTS;
  const now = options.now ?? Date.now;
  /** client → the start of its window and the failures in it (insertion order: oldest window first). */
  const windows = new Map<string, { start: number; failures: number }>();

  const current = (client: string) => {
    const w = windows.get(client);
    if (w && now() - w.start < windowMs) return w;
    if (w) windows.delete(client);
    return null;
  };
  return {
    check(client) {
      const w = current(client);
      if (!w || w.failures < max) return { allowed: true };
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((w.start + windowMs - now()) / 1000)),
      };
    },
    fail(client) {
      const w = current(client);
      if (w) {
        w.failures += 1;
        return;
      }
      while (windows.size >= maxClients) {
        const oldest = windows.keys().next().value;
        if (oldest === undefined) break;
        windows.delete(oldest);
      }
      windows.set(client, { start: now(), failures: 1 });
    },
  };
}
