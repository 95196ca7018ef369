import type { z } from 'zod';
import { PayloadValidationError } from './payload-validation-error.js';

/** Parses a vendor payload with its schema, or throws a `PayloadValidationError` naming every wrong path. */
export function parsePayload<T extends z.ZodType>(what: string, schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw PayloadValidationError.fromZod(what, parsed.error);
  return parsed.data;
}
