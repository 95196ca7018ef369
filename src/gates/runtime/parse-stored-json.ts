import type { z } from 'zod';

/**
 * Reads a value this module stored in Redis, or null when it is not JSON or no longer fits the schema (written by an
 * older version, or by hand): a round then treats it as absent rather than crashing on every retry.
 */
export function parseStoredJson<S extends z.ZodType>(schema: S, raw: string): z.infer<S> | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
