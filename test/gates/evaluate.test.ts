import { describe, expect, it } from 'vitest';
import { evaluate, formatNumber } from '../../src/gates/evaluate.js';
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

/** A vector whose series carry their labels in the given order, one `[labels, value]` pair per series. */
function ordered(series: Array<[Record<string, string>, string]>): QueryResult {
  return {
    ok: true,
    warnings: [],
    infos: [],
    durationMs: 1,
    data: {
      resultType: 'vector',
      result: series.map(([metric, value]) => ({ metric, value: [1_700_000_000, value] })),
    },
  };
}

/** One native-histogram sample: a well-formed answer without a float value. */
function nativeHistogram(labels: Record<string, string>): QueryResult {
  return {
    ok: true,
    warnings: [],
    infos: [],
    durationMs: 1,
    data: {
      resultType: 'vector',
      result: [{ metric: labels, histogram: [1_700_000_000, { count: '10', sum: '3', buckets: [] }] }],
    },
  };
}

const unreachable: QueryResult = {
  ok: false,
  warnings: [],
  durationMs: 1,
  error: { kind: 'network', message: 'connect ECONNREFUSED', retryable: true },
};

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

    it('passes a value exactly at max or exactly at min, and fails just beyond either, saying which', () => {
      const at = (thresholds: Thresholds, value: string) =>
        evaluate({ gate: gate(thresholds), candidate: vector({ '': value }) });

      expect(at({ max: 2 }, '2')).toMatchObject({ verdict: 'pass', reason: '2 ≤ max 2' });
      expect(at({ max: 2 }, '2.001')).toMatchObject({ verdict: 'fail', reason: '2.001 > max 2' });
      expect(at({ min: 0.99 }, '0.99')).toMatchObject({ verdict: 'pass', reason: '0.99 ≥ min 0.99' });
      expect(at({ min: 0.99 }, '0.98')).toMatchObject({ verdict: 'fail', reason: '0.98 < min 0.99' });
    });

    it('lists every threshold a series meets when it passes', () => {
      const result = evaluate({ gate: gate({ max: 2, min: 0.5 }), candidate: vector({ '': '1' }) });
      expect(result).toMatchObject({ verdict: 'pass', reason: '1 ≤ max 2; 1 ≥ min 0.5' });
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

    it('is inconclusive for a gate without any threshold, still reporting one row', () => {
      expect(evaluate({ gate: gate({}), candidate: vector({ '': '1' }) })).toMatchObject({
        verdict: 'inconclusive',
        reason: 'the gate sets no threshold',
        series: [
          {
            labels: {},
            verdict: 'inconclusive',
            reason: 'the gate sets no threshold',
            value: null,
            baseline: null,
            traffic: null,
          },
        ],
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

    it('says a NaN value means nothing was measured', () => {
      expect(evaluate({ gate: gate({ max: 2 }), candidate: vector({ '': 'NaN' }) }).reason).toBe(
        'the value is NaN (0/0: nothing was measured in the window)',
      );
    });

    it('is inconclusive on a native-histogram sample, which has no float to compare', () => {
      expect(evaluate({ gate: gate({ max: 2 }), candidate: nativeHistogram({ model: 'a' }) })).toMatchObject({
        verdict: 'inconclusive',
        reason: 'model="a": no float value (a native histogram sample?)',
        series: [{ labels: { model: 'a' }, value: null }],
      });
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
      const twice = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '0.1' }, ['partial data', 'query hit the sample limit']),
      });
      expect(twice.reason).toBe('query: Prometheus warned: partial data; query hit the sample limit');
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

    it('is inconclusive, saying so, whatever the values, when the traffic query fails', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate,
        traffic: { result: unreachable, min: 1 },
      });
      expect(result).toMatchObject({
        verdict: 'inconclusive',
        reason: 'traffic query: Prometheus unreachable: connect ECONNREFUSED',
        series: [{ labels: {}, verdict: 'inconclusive', value: null }],
      });
    });

    it('counts exactly the minimum traffic as enough', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '0.5' }),
        traffic: { result: vector({ 'model=a': '200' }), min: 200 },
      });
      expect(result).toMatchObject({ verdict: 'pass', series: [{ traffic: '200' }] });
      const oneShort = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '0.5' }),
        traffic: { result: vector({ 'model=a': '199' }), min: 200 },
      });
      expect(oneShort.reason).toBe('model="a": 199 requests in the window, fewer than the 200 needed');
    });

    it('matches traffic to a series whatever order Prometheus gives their labels in', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate: ordered([
          [{ model: 'a', route: 'chat' }, '0.5'],
          [{ model: 'b', route: 'chat' }, '0.5'],
        ]),
        traffic: {
          result: ordered([
            [{ route: 'chat', model: 'a' }, '500'],
            [{ route: 'chat', model: 'b' }, '20'],
          ]),
          min: 200,
        },
      });
      expect(result.series.map((s) => [s.labels.model, s.verdict, s.traffic])).toEqual([
        ['a', 'pass', '500'],
        ['b', 'inconclusive', '20'],
      ]);
    });

    it('is inconclusive when a traffic count is no number, grouped or not', () => {
      const grouped = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '0.5' }),
        traffic: { result: nativeHistogram({ model: 'a' }), min: 1 },
      });
      const overall = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '0.5' }),
        traffic: { result: nativeHistogram({}), min: 1 },
      });
      const infinite = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({ 'model=a': '0.5' }),
        traffic: { result: vector({ '': '+Inf' }), min: 1 },
      });

      expect(grouped).toMatchObject({
        verdict: 'inconclusive',
        reason: 'model="a": the traffic count is NaN',
      });
      expect(overall).toMatchObject({
        verdict: 'inconclusive',
        reason: 'model="a": the traffic count is NaN',
      });
      expect(infinite).toMatchObject({
        verdict: 'inconclusive',
        reason: 'model="a": the traffic count is +Inf',
      });
    });

    it('reports the traffic seen when the query returned no series', () => {
      const result = evaluate({
        gate: gate({ max: 2 }),
        candidate: vector({}),
        traffic: { result: vector({ '': '150' }), min: 100 },
      });
      expect(result).toMatchObject({
        verdict: 'inconclusive',
        reason: 'the query returned no series (no data); traffic in the window: 150',
        series: [{ traffic: '150' }],
      });
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

    it('catches a fivefold error rate against a small baseline, and passes a small rise', () => {
      const g = gate({ maxRatio: 1.5 });
      const worse = evaluate({
        gate: g,
        candidate: vector({ '': '0.05' }),
        baseline: vector({ '': '0.01' }),
      });
      const slightly = evaluate({
        gate: g,
        candidate: vector({ '': '0.012' }),
        baseline: vector({ '': '0.01' }),
      });

      expect(worse).toMatchObject({ verdict: 'fail', reason: '5× baseline 0.01 > maxRatio 1.5' });
      expect(slightly).toMatchObject({ verdict: 'pass', reason: '1.2× baseline 0.01 ≤ maxRatio 1.5' });
    });

    it('passes a ratio or an increase exactly at its threshold', () => {
      expect(
        evaluate({
          gate: gate({ maxRatio: 2 }),
          candidate: vector({ '': '0.5' }),
          baseline: vector({ '': '0.25' }),
        }),
      ).toMatchObject({ verdict: 'pass', reason: '2× baseline 0.25 ≤ maxRatio 2' });
      expect(
        evaluate({
          gate: gate({ maxIncrease: 0.25 }),
          candidate: vector({ '': '0.75' }),
          baseline: vector({ '': '0.5' }),
        }),
      ).toMatchObject({ verdict: 'pass', reason: '0.75 − baseline 0.5 = 0.25 ≤ maxIncrease 0.25' });
    });

    it('passes within maxIncrease, judging the increase alone', () => {
      const result = evaluate({
        gate: gate({ maxIncrease: 0.005 }),
        candidate: vector({ '': '0.012' }),
        baseline: vector({ '': '0.01' }),
      });
      expect(result).toMatchObject({
        verdict: 'pass',
        reason: '0.012 − baseline 0.01 = 0.002 ≤ maxIncrease 0.005',
      });
    });

    it('fails on every threshold crossed, naming each', () => {
      const result = evaluate({
        gate: gate({ max: 2, maxRatio: 1.2 }),
        candidate: vector({ '': '3' }),
        baseline: vector({ '': '1' }),
      });
      expect(result).toMatchObject({ verdict: 'fail', reason: '3 > max 2; 3× baseline 1 > maxRatio 1.2' });
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

    it('finds the baseline series whatever order Prometheus gives their labels in', () => {
      const result = evaluate({
        gate: gate({ maxRatio: 1.2 }),
        candidate: ordered([[{ model: 'a', route: 'chat' }, '1.1']]),
        baseline: ordered([[{ route: 'chat', model: 'a' }, '1']]),
      });
      expect(result).toMatchObject({ verdict: 'pass', series: [{ baseline: '1' }] });
    });

    it('is inconclusive when the baseline series has no float value', () => {
      const result = evaluate({
        gate: gate({ maxRatio: 1.2 }),
        candidate: vector({ 'model=a': '1' }),
        baseline: nativeHistogram({ model: 'a' }),
      });
      expect(result).toMatchObject({
        verdict: 'inconclusive',
        reason: 'model="a": the baseline is not a float',
      });
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
          baseline: unreachable,
        }),
      ).toMatchObject({
        verdict: 'inconclusive',
        reason: 'baseline query: Prometheus unreachable: connect ECONNREFUSED',
      });
    });

    it('treats a zero baseline as no basis for a ratio, unless the candidate is zero too', () => {
      const g = gate({ maxRatio: 2 });
      expect(
        evaluate({ gate: g, candidate: vector({ '': '0.001' }), baseline: vector({ '': '0' }) }).verdict,
      ).toBe('inconclusive');
      expect(
        evaluate({ gate: g, candidate: vector({ '': '0.001' }), baseline: vector({ '': '0' }) }).reason,
      ).toBe('the baseline is 0, so a ratio means nothing (maxIncrease fits better)');
      expect(
        evaluate({ gate: g, candidate: vector({ '': '0' }), baseline: vector({ '': '0' }) }),
      ).toMatchObject({
        verdict: 'pass',
        reason: '0, like the baseline',
      });
    });

    it('treats a negative baseline as no basis for a ratio, even for a zero candidate', () => {
      const result = evaluate({
        gate: gate({ maxRatio: 2 }),
        candidate: vector({ '': '0' }),
        baseline: vector({ '': '-0.5' }),
      });
      expect(result).toMatchObject({
        verdict: 'inconclusive',
        reason: 'the baseline is -0.5, so a ratio means nothing (maxIncrease fits better)',
      });
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

    const relative = evaluate({
      gate: gate({ maxRatio: 2 }),
      candidate: vector({ '': '1' }),
      baseline: vector({ '': '1' }),
      queries: { candidate: 'q', baseline: 'b' },
    });
    expect(relative).toMatchObject({ query: 'q', baselineQuery: 'b' });
  });

  it('records no query it was not given', () => {
    const result = evaluate({ gate: gate({ max: 2 }), candidate: vector({ '': '1' }) });
    expect(result.query).toBe('');
    expect(Object.keys(result)).not.toContain('baselineQuery');
    expect(Object.keys(result)).not.toContain('trafficQuery');
  });

  describe('formatNumber()', () => {
    it('writes 4 significant digits without exponent noise, and non-finite values as Prometheus does', () => {
      expect([0.012345, 1234567, 2, -0.5].map(formatNumber)).toEqual(['0.01235', '1235000', '2', '-0.5']);
      expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(formatNumber)).toEqual([
        'NaN',
        '+Inf',
        '-Inf',
      ]);
    });
  });
});
