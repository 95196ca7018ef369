import type { z } from 'zod';
import { formatPath, type PolicyIssue } from './policy-issue.js';
import { PromotionPolicy } from './schema.js';

/**
 * Turns one zod issue from parsing a PromotionPolicy into issues a person can act on: an unknown key points at
 * that key (with the closest known key as a hint), a missing key at its parent, anything else at the value.
 * `raw` is the document that was parsed.
 */
export function describeZodIssue(issue: z.core.$ZodIssue, raw: unknown): PolicyIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const where = formatPath(path);
  const value = valueAt(raw, path);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        target: 'key' as const,
        message: `${where === '(document)' ? '' : `${where}: `}unknown key "${key}"${suggest(key, known)}`,
      }));
    }
    case 'invalid_type': {
      if (value === undefined && path.length > 0) {
        const parent = formatPath(path.slice(0, -1));
        const key = String(path[path.length - 1]);
        return [
          { path, message: `${parent === '(document)' ? '' : `${parent}: `}missing required key "${key}"` },
        ];
      }
      return [{ path, message: `${where}: expected ${issue.expected}, got ${kindOf(value)}` }];
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v));
      const expected = options.length === 1 ? options[0] : `one of ${options.join(', ')}`;
      return [{ path, message: `${where}: expected ${expected}, got ${JSON.stringify(value)}` }];
    }
    case 'too_small': {
      if (issue.origin === 'array') {
        return [{ path, message: `${where}: needs at least ${String(issue.minimum)} item(s)` }];
      }
      if (issue.origin === 'string') return [{ path, message: `${where}: must not be empty` }];
      return [
        {
          path,
          message: `${where}: must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`,
        },
      ];
    }
    case 'too_big':
      return [
        {
          path,
          message: `${where}: must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`,
        },
      ];
    case 'invalid_format':
      // Every pattern in the schema carries a message written for people ("a duration like 30s, 10m or 1h30m").
      return [{ path, message: `${where}: expected ${issue.message}, got ${JSON.stringify(value)}` }];
    case 'invalid_union': {
      // A discriminated union (verify.provider) names its choices; say them like an enum.
      const options = (issue as { options?: unknown[] }).options;
      if (Array.isArray(options) && options.length > 0) {
        if (value === undefined) {
          const parent = formatPath(path.slice(0, -1));
          return [{ path, message: `${parent}: missing required key "${String(path.at(-1))}"` }];
        }
        const expected = `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;
        return [{ path, message: `${where}: expected ${expected}, got ${JSON.stringify(value)}` }];
      }
      return [{ path, message: `${where}: ${issue.message}` }];
    }
    default:
      return [{ path, message: `${where}: ${issue.message}` }];
  }
}

function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  let node = raw;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The keys the schema allows at `path`, for a "did you mean" hint. */
function knownKeys(path: readonly (string | number)[]): string[] {
  let schema: unknown = PromotionPolicy;
  for (const segment of path) {
    schema = unwrap(schema);
    const def = defOf(schema);
    if (def?.type === 'object' && typeof segment === 'string') schema = def.shape?.[segment];
    else if (def?.type === 'array') schema = def.element;
    else return [];
  }
  const def = defOf(unwrap(schema));
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

interface SchemaDef {
  type?: string;
  innerType?: unknown;
  shape?: Record<string, unknown>;
  element?: unknown;
}

function defOf(schema: unknown): SchemaDef | undefined {
  return (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let def = defOf(current); def?.innerType !== undefined; def = defOf(current)) current = def.innerType;
  return current;
}

function suggest(key: string, known: readonly string[]): string {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best ? ` (did you mean "${best.name}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
