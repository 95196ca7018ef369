import { parseYamlDocuments, type YamlDocument } from '../yaml/index.js';
import { checkPolicy } from './check-policy.js';
import { checkPolicySet, type PolicyEntry } from './check-policy-set.js';
import { describeZodIssue } from './describe-zod-issue.js';
import { formatPath, type PolicyIssue } from './policy-issue.js';
import type { PolicyProblem } from './policy-problem.js';
import { PromotionPolicy } from './schema.js';

/** A policy file's name (as it should appear in messages) and its text. */
export interface PolicyFile {
  path: string;
  text: string;
}

export interface PolicySet {
  /** Every document that passed the schema, in file order. Use them only when `problems` is empty. */
  policies: PromotionPolicy[];
  /** Everything wrong, sorted by file, line and column. */
  problems: PolicyProblem[];
}

interface Source {
  file: string;
  document: YamlDocument;
}

/**
 * Validates the texts of policy files: safe YAML, one PromotionPolicy per document, the schema, the checks of
 * each policy ({@link checkPolicy}) and of all of them together ({@link checkPolicySet}). Pure: reading the files
 * is `loadPolicies`'s job.
 */
export function validatePolicyFiles(files: readonly PolicyFile[]): PolicySet {
  const problems: PolicyProblem[] = [];
  const entries: PolicyEntry<Source>[] = [];
  const at = (source: Source, issue: PolicyIssue, named = true): PolicyProblem => ({
    file: source.file,
    ...source.document.locate(issue.path, issue.target ?? 'value'),
    message: named ? `${formatPath(issue.path)}: ${issue.message}` : issue.message,
  });

  for (const file of files) {
    const parsed = parseYamlDocuments(file.text);
    problems.push(...parsed.problems.map((p) => ({ file: file.path, ...p })));
    if (parsed.documents.length === 0 && parsed.problems.length === 0) {
      // Most often a file caught half-written; never read it as "no policies".
      problems.push({ file: file.path, line: 1, column: 1, message: 'the file holds no policy' });
    }
    for (const document of parsed.documents) {
      const source: Source = { file: file.path, document };
      const result = PromotionPolicy.safeParse(document.value);
      if (!result.success) {
        for (const issue of result.error.issues) {
          problems.push(...describeZodIssue(issue, document.value).map((i) => at(source, i, false)));
        }
        continue;
      }
      problems.push(...checkPolicy(result.data, document.value).map((i) => at(source, i)));
      entries.push({ policy: result.data, source });
    }
  }
  problems.push(...checkPolicySet(entries).map((i) => at(i.source, i)));

  problems.sort(
    (a, b) =>
      compare(a.file, b.file) || a.line - b.line || a.column - b.column || compare(a.message, b.message),
  );
  return { policies: entries.map((e) => e.policy), problems: dedupe(problems) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}\0${p.line}\0${p.column}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
