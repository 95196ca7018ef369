/**
 * `npm run test:mutation`: StrykerJS (vitest runner) on each decision module in turn, against only its own unit
 * tests, then the gate of check-report.ts on each JSON report. Exit 1 when any module fails it.
 *
 * `npm run test:mutation -- evaluate rounds` runs only the named modules. Reports: reports/mutation/<name>.json and
 * .html (open the html to see each survivor in place).
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stryker } from '@stryker-mutator/core';
import { MutationReport, checkReport, type ModuleVerdict } from './check-report.js';
import { MUTATION_MODULES, type MutationModule } from './modules.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

type StrykerOptions = NonNullable<ConstructorParameters<typeof Stryker>[0]>;

function strykerOptions(module: MutationModule): StrykerOptions {
  return {
    testRunner: 'vitest',
    // The module's own test files only (vitest.mutation.config.ts reads them from PROMOBOT_MUTATION_TESTS):
    // vitest's "related" lookup would pull in every test that imports the module.
    vitest: { configFile: 'vitest.mutation.config.ts', related: false },
    mutate: [module.file],
    coverageAnalysis: 'perTest',
    // The machine (and CI) has two cores shared with other work.
    concurrency: 1,
    // No incremental file: a clean clone has none, and a committed one goes stale with every change.
    incremental: false,
    reporters: ['json', 'html', 'clear-text', 'progress-append-only'],
    jsonReporter: { fileName: `reports/mutation/${module.name}.json` },
    htmlReporter: { fileName: `reports/mutation/${module.name}.html` },
    clearTextReporter: {
      reportTests: false,
      reportMutants: true,
      reportScoreTable: true,
      allowEmojis: false,
    },
    // `break` is applied by check-report.ts, which also counts a mutant that stops the module loading as killed.
    thresholds: { high: 95, low: module.break, break: null },
    tempDirName: '.stryker-tmp',
    ignorePatterns: ['/reports', '/compose', '/manifests', '/bench', '/.data', '/coverage', '/dist'],
    cleanTempDir: true,
  };
}

async function runModule(module: MutationModule): Promise<ModuleVerdict & { seconds: number }> {
  const reportFile = join(ROOT, `reports/mutation/${module.name}.json`);
  // A report left by an earlier run must never stand in for this one.
  rmSync(reportFile, { force: true });
  const started = Date.now();
  // Read by vitest.mutation.config.ts in Stryker's test-runner processes, which inherit the environment.
  process.env.PROMOBOT_MUTATION_TESTS = module.testFiles.join(',');
  await new Stryker(strykerOptions(module)).runMutationTest();
  const seconds = (Date.now() - started) / 1000;
  const raw: unknown = JSON.parse(readFileSync(reportFile, 'utf8'));
  return { ...checkReport(module, MutationReport.parse(raw)), seconds };
}

function renderSummary(verdicts: readonly (ModuleVerdict & { seconds: number })[]): string {
  const rows = verdicts.map(
    (v) =>
      `| ${v.name} | ${v.mutants} | ${v.killed} (${v.failedToLoad} at load) | ${v.survivors.length} | ${v.score.toFixed(2)} % | ${v.seconds.toFixed(0)} s | ${
        v.problems.length === 0 ? 'pass' : 'FAIL'
      } |`,
  );
  const problems = verdicts.flatMap((v) => v.problems.map((p) => `- ${v.name}: ${p}`));
  return [
    '| module | mutants | killed | survived | score | time | gate |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows,
    ...(problems.length > 0 ? ['', ...problems] : []),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  process.chdir(ROOT);
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !MUTATION_MODULES.some((m) => m.name === n));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown module ${unknown.join(', ')}; known: ${MUTATION_MODULES.map((m) => m.name).join(', ')}\n`,
    );
    process.exit(2);
  }
  const selected =
    names.length === 0 ? MUTATION_MODULES : MUTATION_MODULES.filter((m) => names.includes(m.name));
  const verdicts: (ModuleVerdict & { seconds: number })[] = [];
  for (const module of selected) verdicts.push(await runModule(module));
  process.stdout.write(`\nmutation testing\n${renderSummary(verdicts)}`);
  process.exit(verdicts.every((v) => v.problems.length === 0) ? 0 : 1);
}

await main();
