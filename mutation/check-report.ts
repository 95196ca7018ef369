import { z } from 'zod';
import type { MutationModule } from './modules.js';

/** The part of Stryker's JSON report (mutation-testing-report-schema) the check reads. */
const Position = z.object({ line: z.number().int().min(1), column: z.number().int().min(0) });
const ReportMutant = z.object({
  id: z.string(),
  mutatorName: z.string(),
  replacement: z.string().optional(),
  status: z.enum([
    'Killed',
    'Survived',
    'NoCoverage',
    'CompileError',
    'RuntimeError',
    'Timeout',
    'Ignored',
    'Pending',
  ]),
  location: z.object({ start: Position, end: Position }),
  static: z.boolean().optional(),
  testsCompleted: z.number().int().min(0).optional(),
});
export const MutationReport = z.object({
  files: z.record(z.string(), z.object({ source: z.string(), mutants: z.array(ReportMutant) })),
});
export type MutationReport = z.infer<typeof MutationReport>;
type ReportMutant = z.infer<typeof ReportMutant>;

export interface MutantLine {
  line: number;
  text: string;
  mutator: string;
  replacement: string;
}

export interface ModuleVerdict {
  name: string;
  /** Killed or timed out, over all mutants that ran or lacked coverage (Stryker's mutation score), in percent. */
  score: number;
  mutants: number;
  killed: number;
  /** Module-level mutants that stop the module from loading, counted among the killed (see `detectedAtLoad`). */
  failedToLoad: number;
  survivors: MutantLine[];
  /** Why the module fails the gate; empty when it passes. */
  problems: string[];
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/**
 * A module-level (static) mutant runs every test of the module. When it makes the module throw on import (zod
 * refusing a schema, say), vitest fails the test file without running a test, but Stryker's vitest runner reports
 * it as Survived with no test completed. Such a mutant is detected: it cannot even load.
 */
function detectedAtLoad(m: ReportMutant): boolean {
  return m.status === 'Survived' && m.static === true && m.testsCompleted === 0;
}

/**
 * Judges one module's Stryker report, without I/O: the score must reach `break`, no survivor may sit on a deciding
 * line, and every listed equivalent mutant must still be found (else the list is stale).
 */
export function checkReport(module: MutationModule, report: MutationReport): ModuleVerdict {
  const problems: string[] = [];
  const file = report.files[module.file];
  if (file === undefined) {
    return {
      name: module.name,
      score: 0,
      mutants: 0,
      killed: 0,
      failedToLoad: 0,
      survivors: [],
      problems: [`the report has no results for ${module.file}`],
    };
  }
  const lines = file.source.split('\n');
  const describe = (m: ReportMutant): MutantLine => ({
    line: m.location.start.line,
    text: (lines[m.location.start.line - 1] ?? '').trim(),
    mutator: m.mutatorName,
    replacement: m.replacement ?? '',
  });

  const failedToLoad = file.mutants.filter(detectedAtLoad).length;
  const detected = file.mutants.filter((m) => DETECTED.has(m.status)).length + failedToLoad;
  const undetected = file.mutants.filter((m) => UNDETECTED.has(m.status) && !detectedAtLoad(m));
  const counted = detected + undetected.length;
  const score = counted === 0 ? 0 : (detected / counted) * 100;
  if (counted === 0) problems.push(`no mutant of ${module.file} was tested`);
  else if (score < module.break) {
    problems.push(`mutation score ${score.toFixed(2)} % is below the break threshold of ${module.break} %`);
  }

  const decidingLines = new Set<number>();
  for (const pattern of module.deciding) {
    const hits = lines.flatMap((text, i) => (text.includes(pattern) ? [i + 1] : []));
    if (hits.length === 0) problems.push(`the deciding line "${pattern}" is no longer in ${module.file}`);
    for (const hit of hits) decidingLines.add(hit);
  }

  const survivors = undetected.map(describe);
  const isEquivalent = (s: MutantLine) =>
    module.equivalent.some(
      (e) => s.text.includes(e.line) && s.mutator === e.mutator && s.replacement === e.replacement,
    );
  for (const e of module.equivalent) {
    const found = survivors.some(
      (s) => s.text.includes(e.line) && s.mutator === e.mutator && s.replacement === e.replacement,
    );
    if (!found) {
      problems.push(
        `the equivalent mutant ${e.mutator} "${e.replacement}" on "${e.line}" no longer survives: drop it from the list`,
      );
    }
  }
  for (const [i, s] of survivors.entries()) {
    const mutant = undetected[i] as ReportMutant;
    if (isEquivalent(s)) continue;
    const spanned = range(mutant.location.start.line, mutant.location.end.line);
    if (spanned.some((line) => decidingLines.has(line))) {
      problems.push(
        `a mutant survives on a deciding line: ${module.file}:${s.line} ${s.mutator} → ${s.replacement} (${s.text})`,
      );
    }
  }

  return { name: module.name, score, mutants: counted, killed: detected, failedToLoad, survivors, problems };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
