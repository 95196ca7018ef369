import { z } from 'zod';
import { PromotionPolicy } from './schema.js';

/**
 * The JSON Schema of a PromotionPolicy file as people write it (defaults make keys optional), for editors:
 * `# yaml-language-server: $schema=./schema.json`. Draft-07, which every YAML language server understands.
 */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PromotionPolicy, { target: 'draft-07', io: 'input' }) as Record<string, unknown>;
}

/** {@link policyJsonSchema} as the exact text committed in `policies/schema.json`. */
export function renderPolicyJsonSchema(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
