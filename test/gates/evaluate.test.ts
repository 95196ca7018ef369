import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/gates/evaluate.js';
import type { Thresholds } from '../../src/gates/evidence.js';
import type { QueryResult } from '../../src/gates/query-result.js';

/** A Prometheus vector answer as the client returns it: `{ 'model=a': '0.5' }` → one series per entry. */
function vector(series: Record<string, string>, warnings: string[] = []): QueryResult {
  return {
    ok: true,
    warnings,
    infos: [],
    durationMs: 1,
    data: {
      resultType: 'vector',
      result: Object.entries(series).map(([labels, value]) => ({
        metric: labels === '' ? {} : Object.fromEntries(labels.split(',').map((pair) => pair.split('='))),
        value: [1_700_000_000, value],
      })),
    },
  };
}

function gate(thresholds: Thresholds) {
  return { name: 'ttft-p95', thresholds };
}

describe('gates/evaluate()', () => {
  describe('absolute thresholds', () => {
    it('passes when every series is within max, one verdict per series', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '0.5', 'model=b': '1.9' }),
      });

      expect(result.verdict).toBe('pass');
      expect(result.series.map((s) => [s.labels, s.verdict, s.value])).toEqual([
        [{ model: 'a' }, 'pass', '0.5'],
        [{ model: 'b' }, 'pass', '1.9'],
      ]);
      expect(result.reason).toBe('all 2 series pass');
    });

    it('fails when one series is over max, naming it', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '0.5', 'model=b': '3.2' }),
      });

      expect(result.verdict).toBe('fail');
      expect(result.reason).toBe('1 of 2 series fail; model="b": 3.2 > max 2');
    });

    it('fails below min and passes at exactly the threshold', () => {
      expect(evaluate({ gate: gate({ min: 0.99 }), candidate: vector({ '': '0.98' }) }).verdict).toBe('fail');
      expect(evaluate({ gate: gate({ min: 0.99, max: 2 }), candidate: vector({ '': '0.99' }) }).verdict).toBe(
        'pass',
      );
      expect(evaluate({ gate: gate({ max: 2 }), candidate: vector({ '': '2' }) }).verdict).toBe('pass');
    });

    it('judges a scalar answer as one series without labels', () => {
      const scalar: QueryResult = {
        ok: true,
        warnings: [],
        infos: [],
        durationMs: 1,
        data: { resultType: 'scalar', result: [1, '0.5'] },
      };
      expect(evaluate({ gate: gate({ max: 1 }), candidate: scalar }).series).toMatchObject([
        { labels: {}, verdict: 'pass' },
      ]);
    });

    it('is inconclusive for a gate without any threshold', () => {
      expect(evaluate({ gate: gate({}), candidate: vector({ '': '1' }) })).toMatchObject({
        verdict: 'inconclusive',
        reason: 'the gate sets no threshold',
      });
    });
  });

  describe('missing or doubtful data is never a pass', () => {
    it.each([
      ['NaN', /NaN/],
      ['+Inf', /\+Inf/],
      ['-Inf', /-Inf/],
    ])('is inconclusive on %s', (value, reason) => {
      const result = evaluate({ gate: gate({ max: 2 }), candidate: vector({ 'model=a': value }) });
      expect(result.verdict).toBe('inconclusive');
      expect(result.reason).toMatch(reason);
    });

    it('is inconclusive on an empty result', () => {
      expect(evaluate({ gate: gate({ max: 2 }), candidate: vector({}) })).toMatchObject({
        verdict: 'inconclusive',
        reason: 'the query returned no series (no data)',
      });
    });

    it('is inconclusive when Prometheus warns, even with values that would pass', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '0.1' }, ['PromQL info: partial data from store eu-1']),
      });
      expect(result).toMatchObject({
        verdict: 'inconclusive',
        reason: expect.stringContaining('Prometheus warned'),
      });
    });

    it('is inconclusive on an error answer, quoting its type', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate: {
          ok: false,
          warnings: [],
          durationMs: 1,
          error: {
            kind: 'prometheus',
            errorType: 'execution',
            message: 'many-to-many',
            httpStatus: 422,
            retryable: false,
          },
        },
      });
      expect(result.reason).toBe('query: Prometheus error execution (HTTP 422): many-to-many');
      expect(result.verdict).toBe('inconclusive');
    });

    it('is inconclusive on an HTTP or network failure', () => {
      for (const error of [
        { kind: 'http', httpStatus: 502, message: 'Bad Gateway', retryable: true },
        { kind: 'network', message: 'fetch failed: connect ECONNREFUSED', retryable: true },
      ] as const) {
        const result = evaluate({
          gate: gate({ max: 2 }),
          candidate: { ok: false, warnings: [], durationMs: 1, error },
        });
        expect(result.verdict).toBe('inconclusive');
      }
    });

    it('is inconclusive for a matrix answer', () => {
      const matrix: QueryResult = {
        ok: true,
        warnings: [],
        infos: [],
        durationMs: 1,
        data: { resultType: 'matrix', result: [] },
      };
      expect(evaluate({ gate: gate({ max: 2 }), candidate: matrix }).reason).toMatch(/got a matrix/);
    });

    it('still fails when another series is inconclusive: a finding beats a doubt', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': 'NaN', 'model=b': '5' }),
      });
      expect(result.verdict).toBe('fail');
    });
  });

  describe('the traffic guard', () => {
    const candidate = vector({ 'model=a': '0.5', 'model=b': '0.5' });

    it('judges per series when the traffic query is grouped the same way', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate,
        traffic: { result: vector({ 'model=a': '500', 'model=b': '20' }), min: 200 },
      });

      expect(result.series.map((s) => [s.labels.model, s.verdict, s.traffic])).toEqual([
        ['a', 'pass', '500'],
        ['b', 'inconclusive', '20'],
      ]);
      expect(result.reason).toBe(
        '1 of 2 series inconclusive; model="b": 20 requests in the window, fewer than the 200 needed',
      );
    });

    it('counts a series missing from the traffic answer as no traffic', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate,
        traffic: { result: vector({ 'model=a': '500' }), min: 200 },
      });
      expect(result.series[1]).toMatchObject({ verdict: 'inconclusive', traffic: '0' });
    });

    it('judges overall when the traffic query is not grouped like the gate', () => {
      const low = evaluate({
        gate: gate({ max: 2 }),
        candidate,
        traffic: { result: vector({ '': '150' }), min: 200 },
      });
      const enough = evaluate({
        gate: gate({ max: 2 }),
        candidate,
        traffic: { result: vector({ 'route=chat': '150', 'route=embed': '100' }), min: 200 },
      });

      expect(low.series.map((s) => s.verdict)).toEqual(['inconclusive', 'inconclusive']);
      expect(enough.series.map((s) => [s.verdict, s.traffic])).toEqual([
        ['pass', '250'],
        ['pass', '250'],
      ]);
    });

    it('is inconclusive when the traffic query fails or is NaN', () => {
      const failed = evaluate({
        gate: gate({ max: 2 }),
        candidate,
        traffic: {
          result: {
            ok: false,
            warnings: [],
            durationMs: 1,
            error: { kind: 'timeout', message: 'late', retryable: true },
          },
          min: 1,
        },
      });
      const nan = evaluate({
        gate: gate({ max: 2 }),
        candidate,
        traffic: { result: vector({ '': 'NaN' }), min: 1 },
      });

      expect(failed.reason).toMatch(/^traffic query: query timed out/);
      expect(nan.series.every((s) => s.verdict === 'inconclusive')).toBe(true);
    });

    it('never passes with too little traffic, even when the value would fail: the value is noise', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '9' }),
        traffic: { result: vector({ 'model=a': '3' }), min: 200 },
      });
      expect(result.verdict).toBe('inconclusive');
    });
  });

  describe('relative thresholds against the baseline', () => {
    it('fails above maxRatio and passes within it', () => {
      const result = evaluate({
        gate: gate({ maxRatio: 1.2 }),
        candidate: vector({ 'model=a': '1.3', 'model=b': '1.1' }),
        baseline: vector({ 'model=a': '1', 'model=b': '1' }),
      });

      expect(result.series.map((s) => [s.verdict, s.baseline, s.reason])).toEqual([
        ['fail', '1', '1.3× baseline 1 > maxRatio 1.2'],
        ['pass', '1', '1.1× baseline 1 ≤ maxRatio 1.2'],
      ]);
    });

    it('fails above maxIncrease', () => {
      const result = evaluate({
        gate: gate({ maxIncrease: 0.005 }),
        candidate: vector({ '': '0.02' }),
        baseline: vector({ '': '0.01' }),
      });
      expect(result).toMatchObject({
        verdict: 'fail',
        reason: '0.02 − baseline 0.01 = 0.01 > maxIncrease 0.005',
      });
    });

    it('is inconclusive for a series the baseline lacks', () => {
      const result = evaluate({
        gate: gate({ maxRatio: 1.2 }),
        candidate: vector({ 'model=a': '1', 'model=new': '1' }),
        baseline: vector({ 'model=a': '1' }),
      });
      expect(result.series.map((s) => s.verdict)).toEqual(['pass', 'inconclusive']);
      expect(result.series[1]?.reason).toMatch(/^no baseline series with these labels/);
    });

    it('is inconclusive when the baseline is empty, failed, NaN, or was never asked', () => {
      const candidate = vector({ '': '1' });
      const g = gate({ maxRatio: 1.2 });
      expect(evaluate({ gate: g, candidate, baseline: vector({}) }).reason).toBe(
        'the baseline query returned no series',
      );
      expect(evaluate({ gate: g, candidate, baseline: vector({ '': 'NaN' }) }).reason).toBe(
        'the baseline is NaN',
      );
      expect(evaluate({ gate: g, candidate }).reason).toBe('no baseline was queried');
      expect(
        evaluate({
          gate: g,
          candidate,
          baseline: {
            ok: false,
            warnings: [],
            durationMs: 1,
            error: { kind: 'network', message: 'down', retryable: true },
          },
        }).verdict,
      ).toBe('inconclusive');
    });

    it('treats a zero baseline as no basis for a ratio, unless the candidate is zero too', () => {
      const g = gate({ maxRatio: 2 });
      expect(
        evaluate({ gate: g, candidate: vector({ '': '0.001' }), baseline: vector({ '': '0' }) }).verdict,
      ).toBe('inconclusive');
      expect(
        evaluate({ gate: g, candidate: vector({ '': '0' }), baseline: vector({ '': '0' }) }).verdict,
      ).toBe('pass');
    });

    it('fails on max even when the baseline is missing', () => {
      const result = evaluate({
        gate: gate({ max: 2, maxRatio: 1.2 }),
        candidate: vector({ '': '3' }),
        baseline: vector({}),
      });
      expect(result.verdict).toBe('fail');
    });
  });

  it('records the rendered queries as evidence', () => {
    const result = evaluate({
      gate: gate({ max: 2 }),
      candidate: vector({ '': '1' }),
      traffic: { result: vector({ '': '1000' }), min: 10 },
      queries: { candidate: 'q', traffic: 't' },
    });
    expect(result).toMatchObject({ query: 'q', trafficQuery: 't', trafficMin: 10 });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});
