import { ConfigError } from '../errors/index.js';

/** One thing wrong with the policies, where a person will find it: 1-based line and column in `file`. */
export interface PolicyProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** `policies/chat.yaml:12:7 message`, the shape editors and terminals turn into a link. */
export function formatProblem(problem: PolicyProblem, file: string = problem.file): string {
  return `${file}:${problem.line}:${problem.column} ${problem.message}`;
}

/** The policies cannot be used; start-up stops with every problem listed. */
export class PolicyLoadError extends ConfigError {
  readonly policyProblems: readonly PolicyProblem[];

  constructor(problems: readonly PolicyProblem[]) {
    super(problems.map((p) => formatProblem(p)));
    this.policyProblems = problems;
  }
}
