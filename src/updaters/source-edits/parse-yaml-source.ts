import { LineCounter, parseAllDocuments, type Document } from 'yaml';

/** A YAML file parsed for editing: its documents with source ranges, and a way from offsets to lines. */
export interface YamlSource {
  readonly text: string;
  readonly documents: readonly Document.Parsed[];
  readonly lineCounter: LineCounter;
}

export type YamlSourceResult = { ok: true; source: YamlSource } | { ok: false; reason: string };

/**
 * Parses every document of `text`, keeping node ranges into the original string (a BOM counts as one character,
 * CRLF as two). Only nodes' source ranges are used afterwards, never the values' re-serialization, so custom tags
 * (`!Ref`) need no resolving: they only warn. Any syntax error fails the whole file: an edit into a file the parser
 * misread could land anywhere.
 */
export function parseYamlSource(text: string): YamlSourceResult {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, keepSourceTokens: false, uniqueKeys: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  for (const document of documents) {
    const error = document.errors[0];
    if (error !== undefined) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return { ok: false, reason: `not valid YAML at line ${line}, column ${col}: ${error.code}` };
    }
  }
  return { ok: true, source: { text, documents, lineCounter } };
}
