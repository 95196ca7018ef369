/**
 * `npm run bench`: runs every bench module in turn and writes BENCHMARKS.md with the machine, the command and
 * each module's section. A module is `{ name, run(): Promise<string> }` returning markdown; add one to BENCHES.
 *
 * `npm run bench -- intake` runs only the named modules (and still rewrites the whole file).
 */
import { writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployBurst } from './deploy-burst.js';
import { deployScaling } from './deploy-scaling.js';
import { deployWrite } from './deploy-write.js';
import { gates } from './gates.js';
import { intake } from './intake.js';
import { memory } from './memory.js';

export interface Bench {
  readonly name: string;
  /** Runs the benchmark and returns its section of BENCHMARKS.md (markdown, starting with a `##` heading). */
  run(): Promise<string>;
}

const BENCHES: readonly Bench[] = [intake, deployWrite, deployBurst, deployScaling, gates, memory];

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

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const selected = only.length === 0 ? BENCHES : BENCHES.filter((b) => only.includes(b.name));
  const header = machine();
  const sections: string[] = [];
  for (const bench of selected) {
    console.log(`bench ${bench.name}: running`);
    const started = Date.now();
    sections.push(await bench.run());
    console.log(`bench ${bench.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const end = `- Load average at end (1/5/15 min): ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ')}`;
  const text = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (`tsx bench/run.ts`); rerun it to refresh. Figures are from one run on the machine',
    'below, which other work may share: compare rows of the same run rather than runs of different days.',
    '',
    '## Machine',
    '',
    header,
    end,
    `- Command: \`npm run bench${only.length ? ` -- ${only.join(' ')}` : ''}\``,
    '',
    ...sections,
  ].join('\n');
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), `${text.trimEnd()}\n`);
  console.log(`wrote ${join(ROOT, 'BENCHMARKS.md')}`);
}

await main();
