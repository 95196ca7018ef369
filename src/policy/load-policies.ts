import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PolicyProblem } from './policy-problem.js';
import { validatePolicyFiles, type PolicyFile, type PolicySet } from './validate-policy-files.js';

/** Largest policy file read; a policy is a page of YAML, not a data dump. */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Reads every `*.yaml` and `*.yml` file directly in `dir` (sorted by name) and validates them together. A file
 * that cannot be read, or a directory without policy files, is a problem like any other.
 *
 * Entries starting with a dot are skipped and symlinks are followed: a Kubernetes ConfigMap volume holds the
 * files as symlinks into a hidden `..data` folder.
 *
 * @example
 * const { policies, problems } = await loadPolicies('policies');
 */
export async function loadPolicies(dir: string): Promise<PolicySet> {
  const { files, problems } = await readPolicyFiles(dir);
  const result = validatePolicyFiles(files);
  return { policies: result.policies, problems: [...problems, ...result.problems] };
}

/** The policy files in `dir` with their text, and the problems of those that could not be read. */
export async function readPolicyFiles(
  dir: string,
): Promise<{ files: PolicyFile[]; problems: PolicyProblem[] }> {
  const problems: PolicyProblem[] = [];
  const problem = (file: string, message: string) => problems.push({ file, line: 1, column: 1, message });

  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    problem(dir, `cannot read the policies directory (${codeOf(error)})`);
    return { files: [], problems };
  }

  const files: PolicyFile[] = [];
  for (const name of names.filter((n) => /\.ya?ml$/i.test(n) && !n.startsWith('.')).sort()) {
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (!info.isFile()) continue;
      if (info.size > MAX_FILE_BYTES) {
        problem(path, `file is ${info.size} bytes; a policy file may hold at most ${MAX_FILE_BYTES}`);
        continue;
      }
      files.push({ path, text: await readFile(path, 'utf8') });
    } catch (error) {
      problem(path, `cannot read the file (${codeOf(error)})`);
    }
  }
  if (files.length === 0 && problems.length === 0)
    problem(dir, 'no policy files (*.yaml, *.yml) in this directory');
  return { files, problems };
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}
