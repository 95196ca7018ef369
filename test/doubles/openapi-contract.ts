import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';

/** The slice of an OpenAPI 3.0 document the doubles read. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

type Json = Record<string, unknown>;

export interface ContractRequest {
  method: string;
  /** The path below the API base, raw (still percent-encoded), without the query. */
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  /** Raw body text; empty when none was sent. */
  body: string;
}

export interface MatchedOperation {
  template: string;
  method: string;
  operationId: string;
  /** Decoded path parameters. */
  params: Record<string, string>;
  /** The parsed JSON body, when one was sent. */
  body: unknown;
}

export type RequestCheck = { ok: true; operation: MatchedOperation } | { ok: false; problem: string };

export interface ContractOptions {
  /**
   * go-swagger does not mark pointer fields nullable, yet Gitea sends `null` for them (`merged_at`, `milestone`),
   * and `""` for unset `format: uri` fields (`original_url`, `website`): with this, properties that are `null` or
   * `""` are treated as absent when a response is checked.
   */
  goZeroValuesAreAbsent?: boolean;
  /** Query parameters every operation accepts (a contract's apiKey-in-query security schemes). */
  extraQueryParams?: readonly string[];
}

export interface Contract {
  checkRequest(request: ContractRequest): RequestCheck;
  /** Problems with an answer the double is about to send; empty when it matches the documented response. */
  checkResponse(template: string, method: string, status: number, body: unknown): string[];
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const CONTRACT_ID = 'contract';

interface CompiledTemplate {
  template: string;
  regex: RegExp;
  names: string[];
  literalLength: number;
}

/**
 * A checker for requests against an OpenAPI 3.0 document: the path template and method must exist, path and query
 * parameters must match their schemas (unknown query parameters are refused: a client relying on a filter the host
 * does not have, like `head=` on Gitea, is a bug), and a JSON body must match the request body schema with no
 * properties the schema does not name.
 */
export function createContract(document: OpenApiDocument, options: ContractOptions = {}): Contract {
  const requestDoc = closeObjects(toJsonSchemaNullable(structuredClone(document)) as OpenApiDocument);
  const responseDoc = toJsonSchemaNullable(document) as OpenApiDocument;
  const requestAjv = makeAjv(requestDoc);
  const responseAjv = makeAjv(responseDoc);
  const validators = new Map<string, ValidateFunction>();
  const extraQuery = new Set(options.extraQueryParams ?? []);

  const templates: CompiledTemplate[] = Object.keys(document.paths)
    .map((template) => {
      const names: string[] = [];
      const pattern = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const name = /^\{([^}]+)\}$/.exec(part)?.[1];
          if (name === undefined) return escapeRegex(part);
          names.push(name);
          return '([^/]+)';
        })
        .join('');
      const literalLength = template.replace(/\{[^}]+\}/g, '').length;
      return { template, regex: new RegExp(`^${pattern}$`), names, literalLength };
    })
    // The most literal template wins: `/pulls/pinned` before `/pulls/{index}`.
    .sort((a, b) => b.literalLength - a.literalLength);

  function validator(ajv: Ajv, key: string, schema: unknown): ValidateFunction {
    let fn = validators.get(key);
    if (!fn) {
      fn = ajv.compile(rebase(schema) as Json);
      validators.set(key, fn);
    }
    return fn;
  }

  function deref<T>(doc: OpenApiDocument, value: T): T {
    let current: unknown = value;
    for (let i = 0; i < 10 && isObject(current) && typeof current.$ref === 'string'; i += 1) {
      current = pointer(doc, current.$ref);
    }
    return current as T;
  }

  return {
    checkRequest(request) {
      const method = request.method.toLowerCase();
      const candidates = templates
        .map((t) => ({ t, m: t.regex.exec(request.path) }))
        .filter((c): c is { t: CompiledTemplate; m: RegExpExecArray } => c.m !== null);
      if (candidates.length === 0)
        return { ok: false, problem: `no path in the contract matches ${request.path}` };
      const hit = candidates.find((c) => isObject(document.paths[c.t.template]?.[method]));
      if (!hit) {
        return {
          ok: false,
          problem: `${request.method.toUpperCase()} is not allowed on ${candidates[0]?.t.template ?? request.path}`,
        };
      }
      const { t, m } = hit;
      const pathItem = requestDoc.paths[t.template] as Json;
      const operation = pathItem[method] as Json;
      const label = `${request.method.toUpperCase()} ${t.template}`;
      const params: Record<string, string> = {};
      t.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });

      const declared = [...asArray(pathItem.parameters), ...asArray(operation.parameters)].map(
        (p) => deref(requestDoc, p) as Json,
      );
      const problems: string[] = [];
      const queryNames = new Set<string>();
      for (const param of declared) {
        const name = String(param.name);
        const where = String(param.in);
        if (where === 'query') queryNames.add(name);
        if (where !== 'path' && where !== 'query') continue;
        const raw =
          where === 'path'
            ? params[name]
            : request.query.getAll(name).length > 1 || isArraySchema(param.schema)
              ? request.query.getAll(name)
              : (request.query.get(name) ?? undefined);
        const missing = raw === undefined || (Array.isArray(raw) && raw.length === 0);
        if (missing) {
          if (param.required === true)
            problems.push(`${label}: required ${where} parameter "${name}" is missing`);
          continue;
        }
        const value = coerce(raw, deref(requestDoc, param.schema as Json));
        const check = validator(requestAjv, `${label}#${where}:${name}`, param.schema ?? {});
        if (!check(value)) {
          problems.push(
            `${label}: ${where} parameter "${name}" ${requestAjv.errorsText(check.errors, { dataVar: name })}`,
          );
        }
      }
      for (const name of new Set(request.query.keys())) {
        if (!queryNames.has(name) && !extraQuery.has(name)) {
          problems.push(`${label}: query parameter "${name}" is not in the contract`);
        }
      }

      let body: unknown = undefined;
      const requestBody = deref(requestDoc, operation.requestBody as Json | undefined);
      const hasBody = request.body.trim() !== '';
      if (hasBody) {
        const contentType = (request.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        const jsonSchema = isObject(requestBody?.content)
          ? (requestBody.content as Json)['application/json']
          : undefined;
        if (!requestBody) {
          problems.push(`${label}: the contract takes no request body`);
        } else if (!isObject(jsonSchema)) {
          problems.push(`${label}: the contract takes no JSON body`);
        } else if (contentType !== 'application/json') {
          problems.push(`${label}: body sent as ${contentType || 'no content type'}, not application/json`);
        } else {
          try {
            body = JSON.parse(request.body);
          } catch {
            problems.push(`${label}: the body is not valid JSON`);
          }
          if (body !== undefined) {
            const check = validator(requestAjv, `${label}#body`, jsonSchema.schema ?? {});
            if (!check(body))
              problems.push(`${label}: ${requestAjv.errorsText(check.errors, { dataVar: 'body' })}`);
          }
        }
      } else if (requestBody?.required === true) {
        problems.push(`${label}: the contract requires a request body`);
      }

      if (problems.length > 0) return { ok: false, problem: problems.join('; ') };
      return {
        ok: true,
        operation: {
          template: t.template,
          method,
          operationId: String(operation.operationId ?? label),
          params,
          body,
        },
      };
    },

    checkResponse(template, method, status, body) {
      const operation = responseDoc.paths[template]?.[method] as Json | undefined;
      if (!operation) return [`${method.toUpperCase()} ${template} is not in the contract`];
      const responses = (operation.responses ?? {}) as Json;
      const documented =
        responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
      const label = `${method.toUpperCase()} ${template} → ${status}`;
      if (documented === undefined) return [`${label} is not a documented response`];
      const response = deref(responseDoc, documented as Json);
      const content = isObject(response.content) ? (response.content as Json)['application/json'] : undefined;
      if (!isObject(content) || content.schema === undefined) return [];
      const value = options.goZeroValuesAreAbsent ? dropZeroValues(body) : body;
      const check = validator(responseAjv, `${label}#response`, content.schema);
      return check(value)
        ? []
        : [`${label}: ${responseAjv.errorsText(check.errors, { dataVar: 'response' })}`];
    },
  };
}

function makeAjv(document: OpenApiDocument): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
  const addFormats = addFormatsPlugin as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addSchema(document as Json, CONTRACT_ID);
  return ajv;
}

/** Local `#/components/...` references point into the document registered as `contract`. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#')
        ? `${CONTRACT_ID}${value}`
        : rebase(value);
  }
  return out;
}

/** OpenAPI 3.0 `nullable: true` → JSON Schema's `type: [t, "null"]`, so ajv understands it. */
function toJsonSchemaNullable(node: unknown): unknown {
  if (Array.isArray(node)) {
    node.forEach(toJsonSchemaNullable);
    return node;
  }
  if (!isObject(node)) return node;
  for (const value of Object.values(node)) toJsonSchemaNullable(value);
  if (node.nullable === true) {
    if (typeof node.type === 'string') node.type = [node.type, 'null'];
    else if (node.enum === undefined && node.type === undefined) {
      const { nullable: _n, ...rest } = node;
      for (const key of Object.keys(node)) delete node[key];
      node.anyOf = [rest, { type: 'null' }];
    }
    if (Array.isArray(node.enum) && !node.enum.includes(null))
      node.enum = [...(node.enum as unknown[]), null];
  }
  return node;
}

/**
 * Request bodies may only carry the properties their schema names: an object schema with `properties` and no
 * `additionalProperties` is closed. Schemas composed with allOf are left open, as closing each part would refuse the
 * other parts' properties.
 */
function closeObjects(document: OpenApiDocument): OpenApiDocument {
  const visit = (node: unknown, insideComposition: boolean): void => {
    if (Array.isArray(node)) {
      node.forEach((n) => visit(n, insideComposition));
      return;
    }
    if (!isObject(node)) return;
    if (
      !insideComposition &&
      isObject(node.properties) &&
      node.additionalProperties === undefined &&
      node.allOf === undefined
    ) {
      node.additionalProperties = false;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && isObject(value)) {
        for (const property of Object.values(value)) visit(property, false);
      } else {
        visit(value, key === 'allOf');
      }
    }
  };
  for (const [key, value] of Object.entries(document)) {
    if (key === 'paths' || key === 'components') visit(value, false);
  }
  return document;
}

function coerce(raw: string | string[], schema: Json | undefined): unknown {
  if (Array.isArray(raw)) {
    const items = isObject(schema?.items) ? (schema.items as Json) : undefined;
    const parts = raw.length === 1 && raw[0]?.includes(',') ? raw[0].split(',') : raw;
    return parts.map((r) => coerce(r, items));
  }
  const type = schema?.type;
  const types = Array.isArray(type) ? type : [type];
  if (
    (types.includes('integer') || types.includes('number')) &&
    raw.trim() !== '' &&
    !Number.isNaN(Number(raw))
  ) {
    return Number(raw);
  }
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

function dropZeroValues(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value ?? null, (key, v: unknown) =>
      key !== '' && (v === null || v === '') ? undefined : v,
    ),
  ) as unknown;
}

function pointer(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  return node;
}

function isArraySchema(schema: unknown): boolean {
  return isObject(schema) && schema.type === 'array';
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const SUPPORTED_METHODS = HTTP_METHODS;
