import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MutationReport, checkReport } from '../../mutation/check-report.js';
import { MUTATION_MODULES, type MutationModule } from '../../mutation/modules.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

const SOURCE = [
  'export function gate(value: number, max: number): boolean {',
  '  const label = `value ${value}`;',
  '  return value <= max;',
  '}',
].join('\n');

const module: MutationModule = {
  name: 'gate',
  file: 'src/gate.ts',
  testFiles: ['test/gate.test.ts'],
  break: 90,
  deciding: ['return value <= max;'],
  equivalent: [],
};

type Status = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError';

function mutant(
  id: number,
  line: number,
  status: Status,
  extra: Partial<{ static: boolean; testsCompleted: number }> = {},
) {
  return {
    id: String(id),
    mutatorName: line === 3 ? 'EqualityOperator' : 'StringLiteral',
    replacement: line === 3 ? 'value < max' : '``',
    status,
    location: { start: { line, column: 3 }, end: { line, column: 20 } },
    ...extra,
  };
}

/** A report of `killed` killed mutants on line 2, plus the given ones. */
function report(killed: number, others: ReturnType<typeof mutant>[] = []): MutationReport {
  const mutants = [...Array.from({ length: killed }, (_, i) => mutant(100 + i, 2, 'Killed')), ...others];
  return MutationReport.parse({ files: { 'src/gate.ts': { source: SOURCE, mutants } } });
}

describe('mutation/checkReport()', () => {
  it('passes a module at or above its break threshold with no survivor on a deciding line', () => {
    const verdict = checkReport(module, report(9, [mutant(1, 2, 'Survived')]));
    expect(verdict).toMatchObject({ score: 90, mutants: 10, killed: 9, problems: [] });
  });

  it('fails a module that drops below its break threshold, saying by how much', () => {
    const verdict = checkReport(module, report(8, [mutant(1, 2, 'Survived'), mutant(2, 2, 'NoCoverage')]));
    expect(verdict.problems).toEqual(['mutation score 80.00 % is below the break threshold of 90 %']);
  });

  it('fails on a mutant surviving on a deciding line, whatever the score', () => {
    const verdict = checkReport(module, report(99, [mutant(1, 3, 'Survived')]));
    expect(verdict.score).toBe(99);
    expect(verdict.problems).toEqual([
      'a mutant survives on a deciding line: src/gate.ts:3 EqualityOperator → value < max (return value <= max;)',
    ]);
  });

  it('counts a timeout as detected and leaves compile errors out of the score', () => {
    const verdict = checkReport(module, report(9, [mutant(1, 3, 'Timeout'), mutant(2, 3, 'CompileError')]));
    expect(verdict).toMatchObject({ score: 100, mutants: 10, problems: [] });
  });

  it('accepts a listed equivalent mutant on a deciding line, and fails once it no longer survives', () => {
    const listed: MutationModule = {
      ...module,
      equivalent: [
        {
          line: 'return value <= max;',
          mutator: 'EqualityOperator',
          replacement: 'value < max',
          reason: 'test',
        },
      ],
    };
    expect(checkReport(listed, report(99, [mutant(1, 3, 'Survived')])).problems).toEqual([]);
    expect(checkReport(listed, report(99, [mutant(1, 3, 'Killed')])).problems).toEqual([
      'the equivalent mutant EqualityOperator "value < max" on "return value <= max;" no longer survives: drop it from the list',
    ]);
  });

  it('counts a module-level mutant that stops the module loading (no test ran) as killed', () => {
    const verdict = checkReport(
      module,
      report(9, [mutant(1, 3, 'Survived', { static: true, testsCompleted: 0 })]),
    );
    expect(verdict).toMatchObject({ score: 100, killed: 10, failedToLoad: 1, problems: [] });
    const ran = checkReport(
      module,
      report(9, [mutant(1, 3, 'Survived', { static: true, testsCompleted: 4 })]),
    );
    expect(ran.problems).toHaveLength(1);
  });

  it('fails when a deciding line is no longer in the file, or the file is not in the report', () => {
    const stale: MutationModule = { ...module, deciding: ['return value < limit;'] };
    expect(checkReport(stale, report(10)).problems).toEqual([
      'the deciding line "return value < limit;" is no longer in src/gate.ts',
    ]);
    expect(checkReport({ ...module, file: 'src/other.ts' }, report(10)).problems).toEqual([
      'the report has no results for src/other.ts',
    ]);
    expect(checkReport(module, report(0)).problems).toEqual(['no mutant of src/gate.ts was tested']);
  });

  it('lists each decision module once, with its own tests, a 90 % floor and deciding lines that exist', () => {
    expect(MUTATION_MODULES.map((m) => m.file)).toEqual([
      'src/chatops/authorize.ts',
      'src/promotion/pull-request-state/decide-merge.ts',
      'src/promotion/decide-promotions.ts',
      'src/gates/evaluate.ts',
      'src/gates/rounds.ts',
      'src/promotion/pull-request-state/state-seal.ts',
    ]);
    for (const m of MUTATION_MODULES) {
      expect(m.break).toBeGreaterThanOrEqual(90);
      for (const testFile of m.testFiles) expect(existsSync(join(ROOT, testFile))).toBe(true);
      const lines = readFileSync(join(ROOT, m.file), 'utf8').split('\n');
      const missing = [...m.deciding, ...m.equivalent.map((e) => e.line)].filter(
        (pattern) => !lines.some((line) => line.includes(pattern)),
      );
      expect(missing, m.file).toEqual([]);
    }
  });
});
