import type { z } from 'zod';
import { PermanentError } from '../errors/index.js';

/**
 * A webhook body that parsed as JSON but does not have the shape its sender documents. The message names every
 * offending path (`pull_request.number: expected number, received string`) so the 400 answer says what was wrong.
 */
export class PayloadValidationError extends PermanentError {
  readonly issues: readonly string[];

  constructor(what: string, issues: readonly string[]) {
    super(`${what}: ${issues.join('; ')}`);
    this.issues = issues;
  }

  /** Builds the error from a failed zod parse, one line per issue with its dotted path. */
  static fromZod(what: string, error: z.ZodError): PayloadValidationError {
    return new PayloadValidationError(
      what,
      error.issues.map((issue) => {
        const path = issue.path.map(String).join('.');
        return path === '' ? issue.message : `${path}: ${issue.message}`;
      }),
    );
  }
}
