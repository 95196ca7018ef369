import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

/**
 * A real Prometheus (Debian package `prometheus`, `/usr/bin/prometheus` and `promtool`) over a TSDB built from
 * generated OpenMetrics text, so gate tests query deterministic history. Query it at a fixed `time` inside the data
 * (`dataEnd`), never at "now".
 */

/** One counter series: starts at 0 at `start` and grows by `rate` per second. */
export interface CounterSeries {
  labels: Record<string, string>;
  rate: number;
}

/**
 * One classic histogram series: `perSecond` observations a second, `cumulative[le]` the share at or below `le`
 * (the `+Inf` bucket is always 1), and the mean observation for `_sum`.
 */
export interface HistogramSeries {
  labels: Record<string, string>;
  perSecond: number;
  cumulative: Record<string, number>;
  mean: number;
}

/** One gauge series, constant over the window. */
export interface GaugeSeries {
  labels: Record<string, string>;
  value: number;
}

export type MetricFamily =
  | { type: 'counter'; name: string; series: CounterSeries[] }
  | { type: 'gauge'; name: string; series: GaugeSeries[] }
  | { type: 'histogram'; name: string; buckets: readonly number[]; series: HistogramSeries[] };

export interface SeriesWindow {
  /** Unix seconds of the first and last sample. */
  start: number;
  end: number;
  stepSeconds: number;
}

/**
 * OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: families one after another, each series' samples
 * in time order, and the mandatory `# EOF`.
 */
export function toOpenMetrics(families: readonly MetricFamily[], window: SeriesWindow): string {
  const out: string[] = [];
  const times: number[] = [];
  for (let t = window.start; t <= window.end; t += window.stepSeconds) times.push(t);
  const labels = (l: Record<string, string>) => {
    const entries = Object.entries(l);
    if (entries.length === 0) return '';
    return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
  };
  const num = (n: number) => String(Math.round(n * 1e6) / 1e6);

  for (const family of families) {
    out.push(`# TYPE ${family.name} ${family.type}`);
    if (family.type === 'counter') {
      for (const series of family.series) {
        for (const t of times) {
          out.push(
            `${family.name}_total${labels(series.labels)} ${num(series.rate * (t - window.start))} ${t}`,
          );
        }
      }
      continue;
    }
    if (family.type === 'gauge') {
      for (const series of family.series) {
        for (const t of times) out.push(`${family.name}${labels(series.labels)} ${num(series.value)} ${t}`);
      }
      continue;
    }
    for (const series of family.series) {
      for (const t of times) {
        const count = series.perSecond * (t - window.start);
        for (const le of family.buckets) {
          const share = series.cumulative[String(le)] ?? 0;
          out.push(
            `${family.name}_bucket${labels({ ...series.labels, le: String(le) })} ${num(count * share)} ${t}`,
          );
        }
        out.push(`${family.name}_bucket${labels({ ...series.labels, le: '+Inf' })} ${num(count)} ${t}`);
        out.push(`${family.name}_count${labels(series.labels)} ${num(count)} ${t}`);
        out.push(`${family.name}_sum${labels(series.labels)} ${num(count * series.mean)} ${t}`);
      }
    }
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

export interface PrometheusServer {
  readonly url: string;
  readonly port: number;
  /** Unix ms of the first and the last generated sample. */
  readonly dataStart: number;
  readonly dataEnd: number;
  /** Stops the server (SIGTERM, then SIGKILL); the TSDB stays for `start()`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** The metric families to import. */
  families: readonly MetricFamily[];
  /** History before `end`; default 2 h. */
  durationSeconds?: number;
  stepSeconds?: number;
}

/**
 * Generates ~2 h of samples ending two minutes before now, imports them with promtool, and starts Prometheus on a
 * free loopback port with no scrape targets. One per test file.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const stepSeconds = options.stepSeconds ?? 30;
  const end = Math.floor((Date.now() / 1000 - 120) / stepSeconds) * stepSeconds;
  const start = end - (options.durationSeconds ?? 7200);
  const dir = mkdtempSync(join(tmpdir(), 'promobot-prometheus-'));
  const dataDir = join(dir, 'data');
  const input = join(dir, 'series.om');
  const config = join(dir, 'prometheus.yml');
  writeFileSync(input, toOpenMetrics(options.families, { start, end, stepSeconds }));
  writeFileSync(config, 'global:\n  evaluation_interval: 1m\nscrape_configs: []\n');
  try {
    await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, dataDir], {
      maxBuffer: 1 << 24,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const startServer = async () => {
    const proc = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${dataDir}`,
        '--storage.tsdb.retention.time=3650d',
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    let log = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}:\n${log}`);
      try {
        const response = await fetch(`${url}/-/ready`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`prometheus was not ready within 20 s:\n${log}`);
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  };

  try {
    await startServer();
  } catch (error) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    dataStart: start * 1000,
    dataEnd: end * 1000,
    stop,
    start: startServer,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
