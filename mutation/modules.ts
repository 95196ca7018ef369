/**
 * The decision modules under mutation testing: one entry (one Stryker run) per module, each against only its own
 * unit tests. `npm run test:mutation` runs them all; `npm run test:mutation -- evaluate` runs the named ones.
 *
 * `deciding` lists, by their text, the lines of a module that decide pass, merge, approval or authorization: no
 * mutant may survive on them. A pattern that matches no line fails the run, so the list cannot silently go stale.
 * `equivalent` lists survivors that no test can kill because the mutant behaves exactly like the original; each
 * carries the reason, and a listed mutant that no longer survives fails the run too (remove it then).
 */
export interface EquivalentMutant {
  /** Text of the line the mutant sits on (a substring of it). */
  line: string;
  mutator: string;
  /** The mutant's replacement text, as Stryker reports it. */
  replacement: string;
  reason: string;
}

export interface MutationModule {
  name: string;
  /** The source file mutated. */
  file: string;
  /** The unit test files that must kill its mutants; nothing else runs. */
  testFiles: readonly string[];
  /** The lowest mutation score (percent) accepted. */
  break: number;
  /** Substrings identifying the deciding lines; no survivor is accepted on any of them. */
  deciding: readonly string[];
  equivalent: readonly EquivalentMutant[];
}

export const MUTATION_MODULES: readonly MutationModule[] = [
  {
    name: 'authorize',
    file: 'src/chatops/authorize.ts',
    testFiles: ['test/chatops/authorize.test.ts'],
    break: 90,
    deciding: [],
    equivalent: [],
  },
  {
    name: 'decide-merge',
    file: 'src/chatops/decide-merge.ts',
    testFiles: ['test/chatops/decide-merge.test.ts'],
    break: 90,
    deciding: [],
    equivalent: [],
  },
  {
    name: 'decide-promotions',
    file: 'src/promotion/decide-promotions.ts',
    testFiles: ['test/promotion/decide-promotions.test.ts'],
    break: 90,
    deciding: [],
    equivalent: [],
  },
  {
    name: 'evaluate',
    file: 'src/gates/evaluate.ts',
    testFiles: ['test/gates/evaluate.test.ts'],
    break: 90,
    deciding: [],
    equivalent: [],
  },
  {
    name: 'rounds',
    file: 'src/gates/rounds.ts',
    testFiles: ['test/gates/rounds.test.ts'],
    break: 90,
    deciding: [],
    equivalent: [],
  },
];
