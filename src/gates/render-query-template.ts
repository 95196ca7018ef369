import { PermanentError } from '../errors/index.js';

/** The values a gate query template may use. */
export interface QueryTemplateVars {
  app: string;
  /** The environment the candidate comes from (where it already runs). */
  from: string;
  /** The environment being promoted into. */
  to: string;
  /** Kubernetes namespace of `to`. */
  namespace: string;
  /** Kubernetes namespace of `from`. */
  fromNamespace: string;
  /** A PromQL range like `5m`. */
  window: string;
  /** The candidate's tag (`3f9c2ab`), where the query is about a candidate. */
  tag?: string | undefined;
  /** The candidate's image repository as the policy names it (`harbor.local/bootcamp/chat-ui`). */
  image?: string | undefined;
  /** The candidate's digest (`sha256:…`), when the push carried one. */
  digest?: string | undefined;
}

export const TEMPLATE_VARIABLES = [
  'app',
  'from',
  'to',
  'namespace',
  'fromNamespace',
  'window',
  'tag',
  'image',
  'digest',
] as const;
type VariableName = (typeof TEMPLATE_VARIABLES)[number];

/** A template that cannot be rendered safely: a policy problem, so retrying never helps. */
export class QueryTemplateError extends PermanentError {}

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/y;
const PROMQL_DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;

type Context = 'code' | 'comment' | '"' | "'" | '`';

/**
 * Fills `{{app}}`, `{{from}}`, `{{to}}`, `{{namespace}}`, `{{fromNamespace}}`, `{{window}}` and, where the query is
 * about a candidate, `{{tag}}`, `{{image}}` and `{{digest}}` into PromQL.
 *
 * Values are escaped for where they land, so a hostile app or environment name cannot change the query: inside
 * `"..."` and `'...'` string literals they are escaped as Go string literals (PromQL's rules), after `=~` / `!~`
 * they are also regex-quoted so `.` matches a dot, and a backtick string refuses values holding a backtick. Outside a
 * string only `{{window}}` is allowed, and only as a duration. Anything else throws {@link QueryTemplateError}.
 *
 * @example
 * renderQueryTemplate('rate(x{namespace="{{fromNamespace}}"}[{{window}}])', vars)
 * // rate(x{namespace="chat-staging"}[5m])
 */
export function renderQueryTemplate(template: string, vars: QueryTemplateVars): string {
  return walk(template, (name, context, regex) => {
    const value = vars[name];
    if (value === undefined) {
      throw new QueryTemplateError(`{{${name}}} has no value here`, {
        advice:
          name === 'digest'
            ? 'the candidate was pushed without a digest; match on {{tag}} instead'
            : `{{${name}}} is known only where the query is about a candidate`,
      });
    }
    return substitute(name, value, context, regex);
  });
}

/**
 * Checks a template without values: every placeholder known and placed where it can be escaped. For policy
 * validation, so a bad template is reported when the policy loads rather than at the first round.
 */
export function checkQueryTemplate(template: string): void {
  walk(template, (name, context) => {
    placement(name, context);
    return '';
  });
}

function walk(
  template: string,
  fill: (name: VariableName, context: Context, regex: boolean) => string,
): string {
  let out = '';
  let context: Context = 'code';
  let regex = false;
  let i = 0;
  while (i < template.length) {
    PLACEHOLDER.lastIndex = i;
    const match = PLACEHOLDER.exec(template);
    if (match) {
      const name = match[1] as string;
      if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
        throw new QueryTemplateError(`unknown placeholder {{${name}}} in gate query`, {
          advice: `use one of ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
        });
      }
      out += fill(name as VariableName, context, regex);
      i += match[0].length;
      continue;
    }
    const ch = template[i] as string;
    out += ch;
    i += 1;
    if (context === 'code') {
      if (ch === '"' || ch === "'" || ch === '`') {
        regex = /[=!]~\s*$/.test(out.slice(0, -1));
        context = ch;
      } else if (ch === '#') context = 'comment';
    } else if (context === 'comment') {
      if (ch === '\n') context = 'code';
    } else if (ch === '\\' && context !== '`' && i < template.length) {
      // An escape inside "..." or '...': the next character never ends the string.
      out += template[i] as string;
      i += 1;
    } else if (ch === context) context = 'code';
  }
  if (context === '"' || context === "'" || context === '`') {
    throw new QueryTemplateError(`gate query has an unterminated ${context} string`);
  }
  return out;
}

function placement(name: VariableName, context: Context): void {
  if (context === 'comment') {
    throw new QueryTemplateError(`{{${name}}} inside a PromQL comment`, {
      advice: 'remove it from the comment',
    });
  }
  if (context === 'code' && name !== 'window') {
    throw new QueryTemplateError(`{{${name}}} outside a quoted label value`, {
      advice: `write it inside quotes, e.g. namespace="{{${name}}}"`,
    });
  }
}

function substitute(name: VariableName, value: string, context: Context, regex: boolean): string {
  placement(name, context);
  if (name === 'window' && !PROMQL_DURATION.test(value)) {
    throw new QueryTemplateError(`window ${JSON.stringify(value)} is not a PromQL duration like 5m`);
  }
  const text = regex ? quoteRegex(value) : value;
  if (context === 'code' || context === 'comment') return text;
  if (context === '`') {
    if (text.includes('`')) {
      throw new QueryTemplateError(`{{${name}}} holds a backtick and cannot go into a \`raw\` string`, {
        advice: 'use a "double-quoted" label value in the gate query',
      });
    }
    return text;
  }
  return escapeStringLiteral(text, context);
}

/** Escapes text for a PromQL `"..."` or `'...'` string literal (Go's escape rules). */
export function escapeStringLiteral(text: string, quote: '"' | "'" = '"'): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Quotes RE2 metacharacters, so a value matches itself in `=~`. */
export function quoteRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
