/**
 * Gates benchmark: one round of 10 gates × 5 models (`runGates`: render, query, parse, judge) against a real
 * Prometheus over promtool-imported history, beside the time Prometheus itself takes for the same distinct queries
 * sent as raw HTTP round trips, and the pure judging alone.
 */
import {
  createPrometheusClient,
  evaluate,
  presetGate,
  runGates,
  type ResolvedGate,
} from '../src/gates/index.js';
import type { QueryResult } from '../src/gates/index.js';
import {
  startPrometheus,
  type CounterSeries,
  type HistogramSeries,
  type MetricFamily,
} from '../test/support/prometheus.js';
import type { Bench } from './run.js';

const MODELS = ['llama-3-8b', 'qwen-2-7b', 'mistral-7b', 'gemma-2-9b', 'phi-3-mini'];
const BUCKETS = [0.1, 0.25, 0.5, 1, 1.5, 2, 4, 8];
const SHARES = { '0.1': 0.2, '0.25': 0.5, '0.5': 0.8, '1': 0.96, '1.5': 1, '2': 1, '4': 1, '8': 1 };
const ROUNDS = 200;
const WARMUP = 5;

function families(): MetricFamily[] {
  const requests: CounterSeries[] = [];
  const latency: HistogramSeries[] = [];
  for (const namespace of ['chat-staging', 'chat-prod']) {
    for (const model of MODELS) {
      requests.push({ labels: { namespace, model, status: 'ok' }, rate: 9.98 });
      requests.push({ labels: { namespace, model, status: 'error' }, rate: 0.02 });
      latency.push({ labels: { namespace, model }, perSecond: 10, cumulative: SHARES, mean: 0.4 });
    }
  }
  return [
    { type: 'counter', name: 'chat_requests', series: requests },
    { type: 'histogram', name: 'chat_first_token_latency_seconds', buckets: BUCKETS, series: latency },
  ];
}

/** Ten gates over the same metrics: presets, other quantiles and windows, and relative ones that need a baseline. */
function tenGates(): ResolvedGate[] {
  const quantile = (q: number, window: string, name: string, max: number): ResolvedGate => ({
    ...presetGate('ttft-p95', { window }, name),
    query: `histogram_quantile(${q}, sum by (le, model) (rate(chat_first_token_latency_seconds_bucket{namespace="{{fromNamespace}}"}[{{window}}])))`,
    thresholds: { max },
  });
  return [
    presetGate('ttft-p95'),
    presetGate('error-rate'),
    presetGate('ttft-p95', { thresholds: { maxRatio: 1.2 } }, 'ttft-p95-vs-prod'),
    presetGate('error-rate', { thresholds: { maxIncrease: 0.005 } }, 'error-rate-vs-prod'),
    quantile(0.5, '5m', 'ttft-p50', 1),
    quantile(0.99, '5m', 'ttft-p99', 4),
    quantile(0.95, '10m', 'ttft-p95-10m', 2),
    presetGate('error-rate', { window: '10m' }, 'error-rate-10m'),
    { ...quantile(0.9, '15m', 'ttft-p90-vs-prod', 2), thresholds: { max: 2, maxRatio: 1.3 } },
    presetGate('error-rate', { window: '15m', thresholds: { maxRatio: 2 } }, 'error-rate-15m-vs-prod'),
  ];
}

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

function row(name: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(2);
  return `| ${name} | ${samples.length} | ${f(percentile(sorted, 50))} | ${f(percentile(sorted, 99))} | ${f(sorted.at(-1) ?? Number.NaN)} |`;
}

export const gates: Bench = {
  name: 'gates',
  async run(): Promise<string> {
    const prometheus = await startPrometheus({ families: families() });
    try {
      const client = createPrometheusClient({ url: prometheus.url });
      const resolved = tenGates();
      const input = {
        client,
        gates: resolved,
        app: 'chat-ui',
        from: { name: 'staging', namespace: 'chat-staging' },
        to: { name: 'prod', namespace: 'chat-prod' },
        time: prometheus.dataEnd,
      };

      const probe = await runGates(input);
      if (probe.outcome !== 'pass') throw new Error(`bench data should pass every gate: ${probe.reason}`);
      const queries = [
        ...new Set(
          probe.gates.flatMap((g) =>
            [g.query, g.baselineQuery, g.trafficQuery].filter((q) => q !== undefined),
          ),
        ),
      ];
      const series = probe.gates.reduce((n, g) => n + g.series.length, 0);

      // Prometheus alone: the same distinct queries, all at once as runGates sends them, bodies read, nothing parsed.
      const raw = async () => {
        await Promise.all(
          queries.map(async (query) => {
            const body = new URLSearchParams({ query, time: (prometheus.dataEnd / 1000).toFixed(3) });
            const response = await fetch(`${prometheus.url}/api/v1/query`, { method: 'POST', body });
            await response.text();
          }),
        );
      };

      const roundTimes: number[] = [];
      const rawTimes: number[] = [];
      for (let i = 0; i < WARMUP + ROUNDS; i++) {
        // Alternate so both see the same cache and CPU conditions.
        let started = performance.now();
        await runGates(input);
        const round = performance.now() - started;
        started = performance.now();
        await raw();
        const alone = performance.now() - started;
        if (i >= WARMUP) {
          roundTimes.push(round);
          rawTimes.push(alone);
        }
      }

      // Judging alone, on answers fetched once.
      const answers = new Map<string, QueryResult>();
      for (const query of queries)
        answers.set(query, await client.query(query, { time: prometheus.dataEnd }));
      const judgeTimes: number[] = [];
      for (let i = 0; i < WARMUP + ROUNDS; i++) {
        const started = performance.now();
        for (const g of probe.gates) {
          const gate = resolved.find((r) => r.name === g.gate) as ResolvedGate;
          evaluate({
            gate,
            candidate: answers.get(g.query) as QueryResult,
            baseline: g.baselineQuery === undefined ? undefined : answers.get(g.baselineQuery),
            traffic:
              g.trafficQuery === undefined || gate.traffic === undefined
                ? undefined
                : { result: answers.get(g.trafficQuery) as QueryResult, min: gate.traffic.min },
          });
        }
        if (i >= WARMUP) judgeTimes.push(performance.now() - started);
      }

      return [
        '## Gates',
        '',
        `One gate round: ${resolved.length} gates × ${MODELS.length} models (${series} series judged), ` +
          `${queries.length} distinct PromQL queries (candidate, baseline for the relative gates, traffic) against ` +
          'a real Prometheus (`prometheus` Debian package) over 2 h of promtool-imported history, evaluated at a ' +
          `fixed time. ${ROUNDS} rounds after ${WARMUP} warm-up rounds; times in milliseconds.`,
        '',
        '| What | Rounds | p50 ms | p99 ms | max ms |',
        '|---|---:|---:|---:|---:|',
        row('`runGates` (render, query, zod-parse, judge)', roundTimes),
        row('Prometheus alone (same queries, raw HTTP, in parallel)', rawTimes),
        row('Judging alone (`evaluate` on fetched answers)', judgeTimes),
        '',
        'The gap between the first two rows is the cost of promobot around Prometheus (templating, zod, judging).',
        '',
      ].join('\n');
    } finally {
      await prometheus.close();
    }
  },
};
