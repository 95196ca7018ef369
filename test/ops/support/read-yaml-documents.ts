import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

/** Every document of a (multi-document) YAML file, parsed; a syntax error throws with the file's name. */
export function readYamlDocuments(path: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  return documents
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message}`);
      return document.toJS() as unknown;
    })
    .filter((value) => value !== null && value !== undefined);
}
