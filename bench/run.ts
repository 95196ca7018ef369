/**
 * `npm run bench`: runs every bench module in turn and writes BENCHMARKS.md with the machine, the command and
 * each module's section. A module is `{ name, run(): Promise<string> }` returning markdown; add one to BENCHES.
 *
 * `npm run bench -- intake` runs only the named modules (and still rewrites the whole file).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { board } from './board.js';
import { deployBurst } from './deploy-burst.js';
import { deployScaling } from './deploy-scaling.js';
import { deployWrite } from './deploy-write.js';
import { gates } from './gates.js';
import { historyRead } from './history-read.js';
import { intake } from './intake.js';
import { memory } from './memory.js';
import { rollout } from './rollout.js';

export interface Bench {
  readonly name: string;
  /** Runs the benchmark and returns its section of BENCHMARKS.md (markdown, starting with a `##` heading). */
  run(): Promise<string>;
}

const BENCHES: readonly Bench[] = [
  intake,
  deployWrite,
  deployBurst,
  deployScaling,
  historyRead,
  gates,
  rollout,
  memory,
  board,
];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function machine(): string {
  const cpu = cpus();
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  return [
    `- CPU: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length} cores`,
    `- Memory: ${gib(totalmem())} (${gib(freemem())} free at start)`,
    `- Node: ${process.version} on ${process.platform} ${process.arch}`,
    `- Date: ${new Date().toISOString()}`,
    // Other work on a shared machine moves every figure; the load says how much there was.
    `- Load average at start (1/5/15 min): ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' / ')}`,
  ].join('\n');
}

/** The `## ` sections of a BENCHMARKS.md, by heading line, in order. */
function sectionsOf(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const part of text.split(/\n(?=## )/).slice(1)) {
    const heading = part.slice(0, part.indexOf('\n') === -1 ? undefined : part.indexOf('\n'));
    if (heading !== '## Machine') sections.set(heading, part.trimEnd());
  }
  return sections;
}

/** Adds the line that says which run measured a section, right under its heading, unless it has one. */
function stamped(section: string, run: string): string {
  if (/\n_Measured in the run of /.test(section)) return section;
  const cut = section.indexOf('\n');
  return `${section.slice(0, cut)}\n\n_Measured in the run of ${run}._\n${section.slice(cut)}`;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const selected = only.length === 0 ? BENCHES : BENCHES.filter((b) => only.includes(b.name));
  const header = machine();
  const command = `npm run bench${only.length ? ` -- ${only.join(' ')}` : ''}`;
  const run = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (\`${command}\`)`;
  const fresh: string[] = [];
  for (const bench of selected) {
    console.log(`bench ${bench.name}: running`);
    const started = Date.now();
    fresh.push(stamped(await bench.run(), run));
    console.log(`bench ${bench.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const end = `- Load average at end (1/5/15 min): ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ')}`;
  // A partial run (`npm run bench -- intake`) replaces only its own sections; the others keep the run that
  // measured them, named under their heading, since every figure is read beside its floor of the same run.
  const path = join(ROOT, 'BENCHMARKS.md');
  const previous = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const previousRun = /^- Date: (\S+)/m.exec(previous)?.[1];
  const sections = sectionsOf(previous);
  if (only.length === 0) sections.clear();
  for (const [heading, section] of sections)
    sections.set(
      heading,
      previousRun ? stamped(section, `${previousRun.slice(0, 16).replace('T', ' ')} UTC`) : section,
    );
  for (const section of fresh)
    sections.set(sectionsOf(`\n${section}`).keys().next().value ?? section, section);
  const text = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (`tsx bench/run.ts`); rerun it to refresh. Figures are from one run on the machine',
    'below, which other work may share: compare rows of the same run rather than runs of different days. Each',
    'section names the run that measured it.',
    '',
    '## Machine',
    '',
    header,
    end,
    `- Command: \`${command}\``,
    '',
    ...[...sections.values()].flatMap((section) => [section, '']),
  ].join('\n');
  writeFileSync(path, `${text.trimEnd()}\n`);
  console.log(`wrote ${path}`);
}

await main();
