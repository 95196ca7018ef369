import {
  LineCounter,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
  type Document,
  type Node as YamlNode,
  type Pair,
} from 'yaml';

/** 1-based line and column in the parsed text. */
export interface YamlPosition {
  line: number;
  column: number;
}

export interface YamlProblem extends YamlPosition {
  message: string;
}

/** Keys and indexes from a document's root to one value, as zod reports them in `issue.path`. */
export type YamlPath = readonly PropertyKey[];

/** What a position should point at: the value at the path, or the key that names it. */
export type YamlTarget = 'value' | 'key';

export interface YamlDocument {
  /** 0-based position of the document in its file. */
  index: number;
  /** Plain JavaScript value (objects, arrays, strings, numbers, booleans, null). */
  value: unknown;
  /**
   * Where the node at `path` starts. A path that does not exist in the text (a missing key) resolves to its
   * nearest existing ancestor, pointing at the key that names it when it has one.
   */
  locate(path: YamlPath, target?: YamlTarget): YamlPosition;
}

export interface ParsedYaml {
  /** The documents that parsed cleanly; empty documents (only comments, a trailing `---`) are left out. */
  documents: YamlDocument[];
  /** Everything refused, in text order. A document with a problem is not in `documents`. */
  problems: YamlProblem[];
}

export interface ParseYamlOptions {
  /**
   * Budget of alias expansions per document (the yaml package's `maxAliasCount`). A handful of anchors are fine;
   * an exponential "billion laughs" chain is refused before it is expanded.
   */
  maxAliasCount?: number;
}

/** The tags of the YAML 1.2 core schema: anything else (`!Ref`, `!!js/function`, `!!binary`) is refused. */
const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

const DEFAULT_MAX_ALIAS_COUNT = 50;

/**
 * Parses text holding one or more YAML documents (separated by `---`) the way a config file should be read:
 * YAML 1.2 core schema only, whatever `%YAML` directive the file carries. Refused, each with its position:
 * custom or non-core tags, `<<` merge keys, duplicate keys, keys that are not plain scalars, and alias chains
 * that expand beyond `maxAliasCount`.
 *
 * @example
 * const { documents, problems } = parseYamlDocuments(text);
 * for (const p of problems) log(`${file}:${p.line}:${p.column} ${p.message}`);
 * const where = documents[0]?.locate(['spec', 'apps', 0, 'image']);
 */
export function parseYamlDocuments(text: string, options: ParseYamlOptions = {}): ParsedYaml {
  const maxAliasCount = options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT;
  const lineCounter = new LineCounter();
  const position = (offset: number): YamlPosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const parsed = parseAllDocuments(text, {
    lineCounter,
    // Pinned so a `%YAML 1.1` directive cannot switch on 1.1 extras (merge keys, !!binary, yes/no booleans).
    schema: 'core',
    merge: false,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
    // Never build Buffers, Sets or Dates from a config file.
    resolveKnownTags: false,
  });
  // An empty text is an `EmptyStream`, an empty array with extra fields.
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];

  const documents: YamlDocument[] = [];
  const problems: YamlProblem[] = [];

  docs.forEach((doc, index) => {
    const docProblems: YamlProblem[] = [];
    const tagLines = new Set<number>();
    for (const error of [...doc.errors, ...doc.warnings]) {
      const at = position(error.pos[0]);
      if (error.code === 'TAG_RESOLVE_FAILED' && error.message.startsWith('Unresolved tag')) {
        const tag = error.message.replace(/^Unresolved tag:\s*/, '');
        docProblems.push({ ...at, message: `tag ${shortTag(tag)} is not allowed` });
        tagLines.add(at.line);
      } else if (error.code === 'DUPLICATE_KEY') {
        docProblems.push({ ...at, message: 'duplicate key: each key may appear once in a mapping' });
      } else {
        docProblems.push({ ...at, message: error.message });
      }
    }

    visit(doc, {
      Node: (_key, node) => {
        const tag = node.tag;
        if (tag !== undefined && !CORE_TAGS.has(tag)) {
          const at = position(nodeStart(node));
          // The parser already reported tags it could not resolve, with the tag's own column.
          if (!tagLines.has(at.line))
            docProblems.push({ ...at, message: `tag ${shortTag(tag)} is not allowed` });
        }
      },
      Pair: (_key, pair) => {
        const key = pair.key;
        if (isScalar(key)) {
          if (key.value === '<<' && key.type === 'PLAIN') {
            docProblems.push({
              ...position(nodeStart(key)),
              message: 'merge keys (<<) are not allowed: write the values out',
            });
          }
        } else if (isAlias(key) || isCollection(key)) {
          docProblems.push({
            ...position(nodeStart(key)),
            message: 'keys must be plain strings, not aliases or collections',
          });
        }
      },
    });

    let value: unknown;
    const empty = isEmptyNode(doc.contents);
    if (docProblems.length === 0 && !empty) {
      try {
        value = doc.toJS({ maxAliasCount });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const at = position(firstAliasOffset(doc) ?? nodeStart(doc.contents));
        docProblems.push({
          ...at,
          message: message.startsWith('Excessive alias count')
            ? `aliases expand to too many nodes (more than ${maxAliasCount}): refused as a resource exhaustion attack`
            : message,
        });
      }
    }

    if (docProblems.length > 0) {
      problems.push(...docProblems);
    } else if (!empty) {
      documents.push({
        index,
        value,
        locate: (path, target = 'value') => locateIn(doc, path, target, position),
      });
    }
  });

  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { documents, problems };
}

function locateIn(
  doc: Document.Parsed,
  path: YamlPath,
  target: YamlTarget,
  position: (offset: number) => YamlPosition,
): YamlPosition {
  let node: unknown = doc.contents;
  // The key that names the current node, when it is a mapping value.
  let namingKey: unknown = null;
  for (let i = 0; i < path.length; i++) {
    node = resolveAlias(doc, node);
    const segment = path[i];
    let next: { key: unknown; value: unknown } | undefined;
    if (isMap(node) && typeof segment !== 'symbol') {
      const pair = node.items.find((p: Pair) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair) next = { key: pair.key, value: pair.value };
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item !== undefined) next = { key: null, value: isPair(item) ? item.value : item };
    }
    if (next === undefined) {
      // Missing: point at the parent, by the key that names it when there is one.
      return position(offsetOf(namingKey) ?? offsetOf(node) ?? 0);
    }
    if (i === path.length - 1 && target === 'key') return position(offsetOf(next.key) ?? offsetOf(node) ?? 0);
    namingKey = next.key;
    // `key:` with nothing after it has an empty value node: its key is the best position.
    node = isEmptyNode(next.value) && next.key !== null ? next.key : next.value;
  }
  if (target === 'key') return position(offsetOf(namingKey) ?? offsetOf(node) ?? 0);
  return position(offsetOf(node) ?? 0);
}

/** No node, or an implicit null with no text (a document of only comments, `key:` with nothing after it). */
function isEmptyNode(node: unknown): boolean {
  if (node === null || node === undefined) return true;
  if (!isScalar(node) || node.value !== null) return false;
  const range = node.range;
  return range === undefined || range === null || range[0] === range[1];
}

function resolveAlias(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? (node.resolve(doc) ?? node) : node;
}

function offsetOf(node: unknown): number | undefined {
  if (node !== null && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    if (range) return range[0];
  }
  return undefined;
}

function nodeStart(node: YamlNode | null): number {
  return offsetOf(node) ?? 0;
}

function firstAliasOffset(doc: Document.Parsed): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Alias: (_key, node) => {
      found = offsetOf(node);
      return visit.BREAK;
    },
  });
  return found;
}

/** `tag:yaml.org,2002:js/function` → `!!js/function`, as people write it. */
function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}
