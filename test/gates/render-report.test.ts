import { describe, expect, it } from 'vitest';
import {
  gatesCommitStatus,
  graphUrl,
  initialGateState,
  isGatesComment,
  nextGateState,
  renderReport,
  type RoundEvidence,
} from '../../src/gates/index.js';

const evidence: RoundEvidence = {
  evaluatedAt: '2026-03-04T05:06:07.000Z',
  outcome: 'fail',
  reason: 'ttft-p95: 1 of 2 series fail; model="b": 3.2 > max 2',
  gates: [
    {
      gate: 'ttft-p95',
      verdict: 'fail',
      reason: '1 of 2 series fail; model="b": 3.2 > max 2',
      thresholds: { max: 2, maxRatio: 1.2 },
      query: 'histogram_quantile(0.95, sum by (le, model) (rate(x{namespace="chat-staging"}[5m])))',
      baselineQuery: 'histogram_quantile(0.95, sum by (le, model) (rate(x{namespace="chat-prod"}[5m])))',
      trafficQuery: 'sum by (model) (increase(y{namespace="chat-staging"}[5m]))',
      trafficMin: 100,
      series: [
        {
          labels: { model: 'a' },
          verdict: 'pass',
          reason: 'ok',
          value: '0.96875',
          baseline: '1',
          traffic: '3000',
        },
        {
          labels: { model: 'b' },
          verdict: 'fail',
          reason: '3.2 > max 2',
          value: '3.2',
          baseline: '1',
          traffic: '3000',
        },
        {
          labels: { model: '<img src=x>|evil`' },
          verdict: 'inconclusive',
          reason: 'the value is NaN',
          value: 'NaN',
          baseline: null,
          traffic: '3000',
        },
      ],
    },
  ],
};

const gating = { interval: '1m', passes: 3, failureLimit: 2, maxInconclusive: '15m' };
const state = nextGateState(
  initialGateState(gating, 0),
  { outcome: 'fail', reason: evidence.reason },
  60_000,
).state;

describe('gates/renderReport()', () => {
  const report = renderReport({
    state,
    evidence,
    prometheusUrl: 'http://prometheus:9090/',
    app: 'chat-ui',
    from: 'staging',
    to: 'prod',
  });

  it('starts with the hidden marker the bot finds its comment by', () => {
    expect(report.startsWith('<!-- promobot:gates -->\n')).toBe(true);
    expect(isGatesComment(report)).toBe(true);
    expect(isGatesComment('LGTM')).toBe(false);
  });

  it('says the status and the round', () => {
    expect(report).toContain('### ⏳ Gates for chat-ui → prod: pending');
    expect(report).toContain('Round 1 of 4 · measured in staging');
  });

  it('has one table row per series with value, threshold, baseline, traffic and verdict', () => {
    expect(report).toContain(
      '| model="a" | 0.9688 | ≤ 2; ≤ 1.2× baseline | 1 | 3000 (≥ 100) | ✅ pass | ok |',
    );
    expect(report).toContain(
      '| model="b" | 3.2 | ≤ 2; ≤ 1.2× baseline | 1 | 3000 (≥ 100) | ❌ fail | 3.2 &gt; max 2 |',
    );
  });

  it('escapes label values so they cannot break the table or inject HTML', () => {
    expect(report).toContain('| model="&lt;img src=x&gt;\\|evil\\`" | NaN |');
    expect(report).not.toContain('<img');
  });

  it('shows the query and links it, its baseline and its traffic query to Prometheus', () => {
    expect(report).toContain(
      '```promql\nhistogram_quantile(0.95, sum by (le, model) (rate(x{namespace="chat-staging"}[5m])))\n```',
    );
    const links = [...report.matchAll(/\]\((http:\/\/prometheus:9090\/graph\?[^)\s]+)\)/g)].map((m) => m[1]);
    expect(links).toHaveLength(3);
    const first = new URL(links[0] as string);
    expect(first.searchParams.get('g0.expr')).toBe(evidence.gates[0]?.query);
    expect(first.searchParams.get('g0.tab')).toBe('1');
    expect(first.searchParams.get('g0.moment_input')).toBe('2026-03-04 05:06:07');
  });

  it('says so before the first round', () => {
    const fresh = renderReport({ state: initialGateState(gating, 0), prometheusUrl: 'http://p' });
    expect(fresh).toContain('_No round evaluated yet._');
  });
});

describe('gates/graphUrl()', () => {
  it('encodes the expression, parentheses included, so a markdown link stays whole', () => {
    expect(graphUrl('http://p:9090', 'sum(rate(x[5m]))')).toBe(
      'http://p:9090/graph?g0.expr=sum%28rate%28x%5B5m%5D%29%29&g0.tab=1',
    );
  });
});

describe('gates/gatesCommitStatus()', () => {
  it('is the promobot/gates status with the round in its description', () => {
    expect(gatesCommitStatus(state)).toEqual({
      context: 'promobot/gates',
      state: 'pending',
      description:
        'round 1 of 4: 0 of 3 passes in a row; last fail: ttft-p95: 1 of 2 series fail; model="b": 3.2 > max 2',
    });
  });
});
