/**
 * Writes `policies/schema.json` from the zod schema: `npx tsx src/policy/write-json-schema.ts [out-file]`.
 * A test fails when the committed file differs, so run this after changing `schema.ts`.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../logger/index.js';
import { renderPolicyJsonSchema } from './json-schema.js';

const out = process.argv[2] ?? fileURLToPath(new URL('../../policies/schema.json', import.meta.url));
await writeFile(out, renderPolicyJsonSchema());
createLogger().info({ file: out }, 'wrote the PromotionPolicy JSON Schema');
