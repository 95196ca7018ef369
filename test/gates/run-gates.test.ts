import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { Gate, Traffic } from '../../src/policy/schema.js';
import {
  createPrometheusClient,
  initialGateState,
  nextGateState,
  presetGate,
  renderReport,
  resolveGates,
  runGateRound,
  runGates,
  type GateStep,
  type PrometheusClient,
  type ResolvedGate,
} from '../../src/gates/index.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { chatFamilies, vllmFamilies } from './chat-history.js';

let prometheus: PrometheusServer;
let client: PrometheusClient;

beforeAll(async () => {
  prometheus = await startPrometheus({ families: [...chatFamilies(), ...vllmFamilies()] });
  client = createPrometheusClient({ url: prometheus.url, timeoutMs: 2_000 });
});

afterAll(async () => {
  await prometheus?.close();
});

/** One round promoting chat-ui from `from` (a namespace of the generated history) into prod. */
function round(gates: readonly ResolvedGate[], from: string) {
  return runGates({
    client,
    gates,
    app: 'chat-ui',
    from: { name: 'staging', namespace: from },
    to: { name: 'prod', namespace: 'chat-prod' },
    time: prometheus.dataEnd,
  });
}

const presets = resolveGates({ names: ['ttft-p95', 'error-rate'] });

describe('gates/runGates() against a real Prometheus', () => {
  it('passes a healthy candidate on both presets, for every model', async () => {
    const evidence = await round(presets, 'chat-staging');

    expect(evidence.outcome).toBe('pass');
    const ttft = evidence.gates.find((g) => g.gate === 'ttft-p95');
    expect(ttft?.series.map((s) => s.labels.model).sort()).toEqual(['llama-3-8b', 'qwen-2-7b']);
    for (const series of ttft?.series ?? []) {
      expect(series.verdict).toBe('pass');
      expect(Number(series.value)).toBeCloseTo(0.96875, 3);
      expect(Number(series.traffic)).toBeCloseTo(3000, 0);
    }
    const errors = evidence.gates.find((g) => g.gate === 'error-rate');
    expect(errors?.series.every((s) => Math.abs(Number(s.value) - 0.002) < 1e-6)).toBe(true);
  });

  it('fails TTFT p95 when one model of two is over 2 s, and names that model', async () => {
    const evidence = await round(presets, 'chat-slow-one');

    const ttft = evidence.gates.find((g) => g.gate === 'ttft-p95');
    expect(ttft?.verdict).toBe('fail');
    expect(ttft?.reason).toContain('model="qwen-2-7b"');
    const verdicts = Object.fromEntries(ttft?.series.map((s) => [s.labels.model, s.verdict]) ?? []);
    expect(verdicts).toEqual({ 'llama-3-8b': 'pass', 'qwen-2-7b': 'fail' });
    expect(evidence.outcome).toBe('fail');
    expect(evidence.reason).toContain('qwen-2-7b');
  });

  it('reads an error series that never existed as zero errors, and passes', async () => {
    const evidence = await round(resolveGates({ names: ['error-rate'] }), 'chat-no-errors');

    expect(evidence.outcome).toBe('pass');
    expect(evidence.gates[0]?.series.map((s) => s.value)).toEqual(['0', '0']);
  });

  it('fails the error rate where 5 % of requests fail', async () => {
    const evidence = await round(resolveGates({ names: ['error-rate'] }), 'chat-erroring');

    expect(evidence.outcome).toBe('fail');
    expect(evidence.gates[0]?.series.every((s) => s.verdict === 'fail')).toBe(true);
  });

  it('is inconclusive, not a pass, when traffic is below the minimum', async () => {
    const evidence = await round(presets, 'chat-quiet');

    expect(evidence.outcome).toBe('inconclusive');
    for (const gate of evidence.gates) {
      expect(gate.verdict).toBe('inconclusive');
      expect(gate.reason).toMatch(/30 requests in the window, fewer than the 100 needed/);
    }
  });

  it('is inconclusive when the candidate has no data at all', async () => {
    const evidence = await round(presets, 'chat-nowhere');

    expect(evidence.outcome).toBe('inconclusive');
    expect(evidence.gates.map((g) => g.reason)).toEqual([
      expect.stringContaining('no series'),
      expect.stringContaining('no series'),
    ]);
  });

  it('is inconclusive on 0/0 (NaN) even with no traffic guard', async () => {
    const bare = presets.map(({ traffic: _traffic, ...gate }) => gate);
    const evidence = await round(bare, 'chat-idle');

    expect(evidence.outcome).toBe('inconclusive');
    for (const gate of evidence.gates) {
      expect(gate.series.map((s) => s.value)).toEqual(['NaN', 'NaN']);
      expect(gate.reason).toContain('NaN');
    }
  });

  it('fails a candidate 30 % slower than the prod baseline with maxRatio 1.2, though under the 2 s max', async () => {
    const gates = resolveGates({ names: ['ttft-p95'], gates: [{ name: 'ttft-p95', maxRatio: 1.2 }] });
    const evidence = await round(gates, 'chat-slower');

    const ttft = evidence.gates[0];
    expect(ttft?.verdict).toBe('fail');
    expect(ttft?.baselineQuery).toContain('namespace="chat-prod"');
    for (const series of ttft?.series ?? []) {
      expect(Number(series.value)).toBeCloseTo(1.3, 3);
      expect(Number(series.baseline)).toBeCloseTo(1.0, 3);
      expect(series.reason).toMatch(/1\.3× baseline 1 > maxRatio 1\.2/);
    }
  });

  it('passes the same relative gate for a candidate as fast as the baseline', async () => {
    const gates = resolveGates({ names: ['ttft-p95'], gates: [{ name: 'ttft-p95', maxRatio: 1.2 }] });
    const evidence = await round(gates, 'chat-staging');

    expect(evidence.outcome).toBe('pass');
  });

  it('judges vLLM metrics with the vllm presets, counting aborted and errored requests as errors', async () => {
    const gates = resolveGates({ names: ['vllm-ttft-p95', 'vllm-error-rate'] });
    const healthy = await round(gates, 'vllm-staging');
    const failing = await round(gates, 'vllm-failing');

    expect(healthy.outcome).toBe('pass');
    expect(healthy.gates[1]?.series[0]?.labels).toEqual({ model_name: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(Number(healthy.gates[1]?.series[0]?.value)).toBeCloseTo(0.002, 6);
    expect(failing.gates.map((g) => g.verdict)).toEqual(['pass', 'fail']);
  });

  it('reports a PromQL error as inconclusive with Prometheus’s error type', async () => {
    const broken: ResolvedGate = {
      ...presetGate('ttft-p95'),
      traffic: undefined,
      query: 'sum(rate(x[{{window}}]',
    };
    const evidence = await round([broken], 'chat-staging');

    expect(evidence.outcome).toBe('inconclusive');
    expect(evidence.reason).toContain('bad_data');
  });

  it('is inconclusive while Prometheus is down mid-soak, then passes once it is back', async () => {
    let step: GateStep = nextGateState(
      initialGateState({ interval: '1m', passes: 3, failureLimit: 2, maxInconclusive: '15m' }, 0),
      { outcome: 'pass', reason: 'warm-up' },
      0,
    );
    const play = async (minute: number) => {
      const evidence = await round(presets, 'chat-staging');
      step = nextGateState(
        step.state,
        { outcome: evidence.outcome, reason: evidence.reason },
        minute * 60_000,
      );
      return evidence;
    };

    expect((await play(1)).outcome).toBe('pass');
    expect(step.description).toBe('round 2 of 3: 2 of 3 passes in a row');

    await prometheus.stop();
    try {
      const down = await play(2);
      expect(down.outcome).toBe('inconclusive');
      expect(down.reason).toContain('Prometheus unreachable');
      expect(step.status).toBe('pending');
      expect(step.description).toMatch(
        /^round 3 of 6: 0 of 3 passes in a row; last inconclusive: ttft-p95: /,
      );
    } finally {
      await prometheus.start();
    }

    for (const minute of [3, 4]) expect((await play(minute)).outcome).toBe('pass');
    expect(step.done).toBe(false);
    const last = await play(5);
    expect(last.outcome).toBe('pass');
    expect(step).toMatchObject({ status: 'success', done: true });
    expect(step.description).toBe('gates passed 3 rounds in a row (round 6)');

    const report = renderReport({
      state: step.state,
      evidence: last,
      prometheusUrl: prometheus.url,
      app: 'chat-ui',
    });
    expect(report).toContain('<!-- promobot:gates -->');
    expect(report).toContain(`${prometheus.url}/graph?g0.expr=`);
  });

  it('runs one scheduled round: counts it, renders the comment and the status, and says when the next is due', async () => {
    const state = initialGateState({ interval: '2m', passes: 2, failureLimit: 1, maxInconclusive: '10m' }, 0);
    const input = {
      client,
      gates: presets,
      app: 'chat-ui',
      from: { name: 'staging', namespace: 'chat-slow-one' },
      to: { name: 'prod', namespace: 'chat-prod' },
      prometheusUrl: 'https://prometheus.example.com',
    };

    const first = await runGateRound({ ...input, state, now: prometheus.dataEnd });

    expect(first.step).toMatchObject({ status: 'failure', done: true });
    expect(first.commitStatus).toMatchObject({ context: 'promobot/gates', state: 'failure' });
    expect(first.commitStatus.description).toMatch(/^gates failed 1 of 1 rounds: ttft-p95: .*qwen-2-7b/);
    expect(first.report).toContain('https://prometheus.example.com/graph?g0.expr=');
    expect(first.report).toContain('| model="qwen-2-7b" |');
    expect(first.nextRoundAt).toBeNull();

    const healthy = await runGateRound({
      ...input,
      from: { name: 'staging', namespace: 'chat-staging' },
      state,
      now: prometheus.dataEnd,
    });
    expect(healthy.commitStatus).toMatchObject({
      state: 'pending',
      description: 'round 1 of 2: 1 of 2 passes in a row',
    });
    expect(healthy.nextRoundAt).toBe(prometheus.dataEnd + 120_000);
  });

  it('runs gates written in PromQL in a policy, as in the design sketch', async () => {
    const spec = z.object({ gates: z.array(Gate), traffic: Traffic }).parse(
      parse(`
gates:
  - name: ttft-p95
    query: histogram_quantile(0.95, sum by (le, model) (rate(chat_first_token_latency_seconds_bucket{namespace="chat-{{from}}"}[5m])))
    max: 2.0
  - name: error-rate
    # "or ... * 0": an error series that never existed reads as 0 errors, not as "no data"
    query: >-
      (sum by (model) (rate(chat_requests_total{namespace="chat-{{from}}",status="error"}[5m]))
        or sum by (model) (rate(chat_requests_total{namespace="chat-{{from}}"}[5m])) * 0)
      / sum by (model) (rate(chat_requests_total{namespace="chat-{{from}}"}[5m]))
    max: 0.01
traffic: { query: 'sum by (model) (increase(chat_requests_total{namespace="chat-{{from}}"}[5m]))', min: 200 }
`),
    );
    const gates = resolveGates({ names: ['ttft-p95', 'error-rate'], ...spec });
    const evaluated = (from: string) =>
      runGates({
        client,
        gates,
        app: 'chat-ui',
        from: { name: from },
        to: { name: 'prod' },
        time: prometheus.dataEnd,
      });

    expect((await evaluated('staging')).outcome).toBe('pass');
    expect((await evaluated('slow-one')).outcome).toBe('fail');
    expect((await evaluated('quiet')).outcome).toBe('inconclusive');
  });
});
