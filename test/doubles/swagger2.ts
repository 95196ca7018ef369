import type { OpenApiDocument } from './openapi-contract.js';

type Json = Record<string, unknown>;

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);
/** What a Swagger 2 non-body parameter carries beside its name, which OpenAPI 3 moves into `schema`. */
const SCHEMA_KEYS = [
  'type',
  'format',
  'items',
  'enum',
  'default',
  'minimum',
  'maximum',
  'pattern',
  'minLength',
  'maxLength',
];

/**
 * The slice of a Swagger 2 document (Argo CD's `assets/swagger.json`, Harbor's `swagger.yaml`) that
 * `createContract` reads, rewritten the OpenAPI 3 way: `definitions` become `components.schemas`, a `body`
 * parameter becomes `requestBody`, a non-body parameter's type moves into `schema`, and a response's `schema` moves
 * into `content['application/json']` (the document's `produces`). Nothing is added or loosened.
 */
export function swagger2ToOpenApi3(document: Json): OpenApiDocument {
  const rewritten = rewriteRefs(document) as Json;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [template, item] of Object.entries((rewritten.paths ?? {}) as Record<string, Json>)) {
    const out: Json = {};
    for (const [key, value] of Object.entries(item)) {
      if (key === 'parameters') out.parameters = convertParameters(value).parameters;
      else if (METHODS.has(key)) out[key] = convertOperation(value as Json);
      else out[key] = value;
    }
    paths[template] = out;
  }
  return {
    openapi: '3.0.0',
    info: rewritten.info,
    paths,
    components: { schemas: (rewritten.definitions ?? {}) as Record<string, unknown> },
  };
}

function convertOperation(operation: Json): Json {
  const { parameters, responses, consumes: _c, produces: _p, ...rest } = operation;
  const converted = convertParameters(parameters);
  const out: Json = { ...rest, parameters: converted.parameters };
  if (converted.body) {
    out.requestBody = {
      required: converted.body.required === true,
      content: { 'application/json': { schema: converted.body.schema ?? {} } },
    };
  }
  const outResponses: Json = {};
  for (const [status, response] of Object.entries((responses ?? {}) as Record<string, Json>)) {
    const { schema, ...restResponse } = response;
    outResponses[status] =
      schema === undefined ? restResponse : { ...restResponse, content: { 'application/json': { schema } } };
  }
  out.responses = outResponses;
  return out;
}

function convertParameters(parameters: unknown): { parameters: Json[]; body: Json | undefined } {
  const list = Array.isArray(parameters) ? (parameters as Json[]) : [];
  const body = list.find((p) => p.in === 'body');
  const others = list
    .filter((p) => p.in !== 'body')
    .map((p) => {
      const schema: Json = {};
      const param: Json = {};
      for (const [key, value] of Object.entries(p)) {
        if (SCHEMA_KEYS.includes(key)) schema[key] = value;
        else if (key !== 'collectionFormat') param[key] = value;
      }
      return { ...param, schema };
    });
  return { parameters: others, body };
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#/definitions/')
        ? `#/components/schemas/${value.slice('#/definitions/'.length)}`
        : rewriteRefs(value);
  }
  return out;
}
