import {
  combineVerdicts,
  seriesName,
  type GateEvaluation,
  type SeriesVerdict,
  type Thresholds,
  type Verdict,
} from './evidence.js';
import { sampleNumber, type Labels, type SampleText } from './prometheus-response.js';
import { describeQueryError, type QueryResult } from './query-result.js';

export interface EvaluateInput {
  gate: { name: string; thresholds: Thresholds };
  /** The gate's query where the candidate runs. */
  candidate: QueryResult;
  /** The same query on the target environment; needed when `maxRatio` or `maxIncrease` is set. */
  baseline?: QueryResult | undefined;
  /** The traffic guard's answer and the fewest requests that make a series count. */
  traffic?: { result: QueryResult; min: number } | undefined;
  /** The rendered queries, recorded as evidence. */
  queries?: { candidate: string; baseline?: string | undefined; traffic?: string | undefined } | undefined;
}

interface Point {
  labels: Labels;
  value: SampleText | null;
}

type Usable = { ok: true; points: Point[] } | { ok: false; reason: string };

/**
 * Judges one gate from its query answers, without I/O. One verdict per series of the candidate result (a query
 * grouped `by (model)` yields one per model), and the gate passes only when every series passes.
 *
 * Never a pass on missing data: an error, a warning, an empty result, NaN, ±Inf, too little traffic, or a missing
 * baseline series is `inconclusive`, with the reason.
 */
export function evaluate(input: EvaluateInput): GateEvaluation {
  const { gate, queries } = input;
  const record = {
    gate: gate.name,
    thresholds: gate.thresholds,
    query: queries?.candidate ?? '',
    ...(queries?.baseline !== undefined ? { baselineQuery: queries.baseline } : {}),
    ...(queries?.traffic !== undefined ? { trafficQuery: queries.traffic } : {}),
    ...(input.traffic ? { trafficMin: input.traffic.min } : {}),
  };
  const whole = (verdict: Verdict, reason: string, traffic: SampleText | null = null): GateEvaluation => ({
    ...record,
    verdict,
    reason,
    series: [{ labels: {}, verdict, reason, value: null, baseline: null, traffic }],
  });

  if (!hasThreshold(gate.thresholds)) return whole('inconclusive', 'the gate sets no threshold');

  const candidate = usable(input.candidate, 'query');
  if (!candidate.ok) return whole('inconclusive', candidate.reason);

  const trafficGuard = input.traffic ? guard(input.traffic.result, candidate.points) : undefined;
  if (trafficGuard && !trafficGuard.ok) return whole('inconclusive', trafficGuard.reason);

  if (candidate.points.length === 0) {
    const overall = trafficGuard?.ok ? trafficGuard.overall : null;
    const hint = overall !== null && overall !== undefined ? `; traffic in the window: ${overall}` : '';
    return whole('inconclusive', `the query returned no series (no data)${hint}`, overall ?? null);
  }

  const relative = gate.thresholds.maxRatio !== undefined || gate.thresholds.maxIncrease !== undefined;
  const baseline: Usable | undefined = relative
    ? input.baseline
      ? usable(input.baseline, 'baseline query')
      : { ok: false, reason: 'no baseline was queried' }
    : undefined;

  const series = candidate.points.map((point) =>
    judge(
      point,
      gate.thresholds,
      baseline,
      trafficGuard?.ok ? trafficGuard : undefined,
      input.traffic?.min ?? 0,
    ),
  );
  const verdict = combineVerdicts(series.map((s) => s.verdict));
  return { ...record, verdict, reason: summarize(verdict, series), series };
}

function hasThreshold(t: Thresholds): boolean {
  return (
    t.max !== undefined || t.min !== undefined || t.maxRatio !== undefined || t.maxIncrease !== undefined
  );
}

function usable(result: QueryResult, what: string): Usable {
  if (!result.ok) return { ok: false, reason: `${what}: ${describeQueryError(result.error)}` };
  // A warning means Prometheus itself doubts the answer (a partial result, a query that hit limits).
  if (result.warnings.length > 0)
    return { ok: false, reason: `${what}: Prometheus warned: ${result.warnings.join('; ')}` };
  const data = result.data;
  switch (data.resultType) {
    case 'scalar':
      return { ok: true, points: [{ labels: {}, value: data.result[1] }] };
    case 'vector':
      return {
        ok: true,
        points: data.result.map((s) => ({ labels: s.metric, value: s.value?.[1] ?? null })),
      };
    default:
      return {
        ok: false,
        reason: `${what}: expected an instant vector or a scalar, got a ${data.resultType}`,
      };
  }
}

interface TrafficGuard {
  ok: true;
  /** Per series when the traffic query is grouped like the gate query. */
  bySeries?: Map<string, SampleText>;
  /** The total otherwise. */
  overall?: SampleText;
}

function guard(result: QueryResult, points: Point[]): TrafficGuard | { ok: false; reason: string } {
  const traffic = usable(result, 'traffic query');
  if (!traffic.ok) return traffic;
  const names = (labels: Labels) => Object.keys(labels).sort().join(',');
  const grouping = points[0] ? names(points[0].labels) : '';
  const sameGrouping =
    grouping !== '' &&
    traffic.points.length > 0 &&
    [...points, ...traffic.points].every((p) => names(p.labels) === grouping);
  if (sameGrouping) {
    return { ok: true, bySeries: new Map(traffic.points.map((p) => [key(p.labels), p.value ?? 'NaN'])) };
  }
  const total = traffic.points.reduce(
    (sum, p) => sum + (p.value === null ? Number.NaN : sampleNumber(p.value)),
    0,
  );
  return { ok: true, overall: formatSample(total) };
}

function judge(
  point: Point,
  t: Thresholds,
  baseline: Usable | undefined,
  traffic: TrafficGuard | undefined,
  min: number,
): SeriesVerdict {
  const trafficText = traffic
    ? traffic.bySeries
      ? (traffic.bySeries.get(key(point.labels)) ?? '0')
      : (traffic.overall ?? '0')
    : null;
  const base = baseline?.ok
    ? (baseline.points.find((b) => key(b.labels) === key(point.labels)) ?? null)
    : null;
  const out = (verdict: Verdict, reason: string): SeriesVerdict => ({
    labels: point.labels,
    verdict,
    reason,
    value: point.value,
    baseline: base?.value ?? null,
    traffic: trafficText,
  });

  if (trafficText !== null) {
    const requests = sampleNumber(trafficText);
    if (!Number.isFinite(requests)) return out('inconclusive', `the traffic count is ${trafficText}`);
    if (requests < min) {
      return out(
        'inconclusive',
        `${formatNumber(requests)} requests in the window, fewer than the ${min} needed`,
      );
    }
  }
  if (point.value === null) return out('inconclusive', 'no float value (a native histogram sample?)');
  const value = sampleNumber(point.value);
  if (Number.isNaN(value))
    return out('inconclusive', 'the value is NaN (0/0: nothing was measured in the window)');
  if (!Number.isFinite(value)) {
    return out(
      'inconclusive',
      `the value is ${point.value} (a quantile beyond the highest histogram bucket?)`,
    );
  }

  const fails: string[] = [];
  const doubts: string[] = [];
  const passes: string[] = [];
  const v = formatNumber(value);
  if (t.max !== undefined)
    (value > t.max ? fails : passes).push(`${v} ${value > t.max ? '>' : '≤'} max ${t.max}`);
  if (t.min !== undefined)
    (value < t.min ? fails : passes).push(`${v} ${value < t.min ? '<' : '≥'} min ${t.min}`);

  if (baseline !== undefined) {
    const b = base?.value ?? null;
    if (!baseline.ok) doubts.push(baseline.reason);
    else if (baseline.points.length === 0) doubts.push('the baseline query returned no series');
    else if (base === null)
      doubts.push(
        'no baseline series with these labels (group by labels both environments share, such as model, not namespace)',
      );
    else if (b === null || !Number.isFinite(sampleNumber(b)))
      doubts.push(`the baseline is ${b ?? 'not a float'}`);
    else {
      const bv = sampleNumber(b);
      if (t.maxIncrease !== undefined) {
        const increase = value - bv;
        const text = `${v} − baseline ${formatNumber(bv)} = ${formatNumber(increase)}`;
        if (increase > t.maxIncrease) fails.push(`${text} > maxIncrease ${t.maxIncrease}`);
        else passes.push(`${text} ≤ maxIncrease ${t.maxIncrease}`);
      }
      if (t.maxRatio !== undefined) {
        if (bv > 0) {
          const ratio = value / bv;
          const text = `${formatNumber(ratio)}× baseline ${formatNumber(bv)}`;
          if (ratio > t.maxRatio) fails.push(`${text} > maxRatio ${t.maxRatio}`);
          else passes.push(`${text} ≤ maxRatio ${t.maxRatio}`);
        } else if (bv === 0 && value === 0) passes.push('0, like the baseline');
        else
          doubts.push(
            `the baseline is ${formatNumber(bv)}, so a ratio means nothing (maxIncrease fits better)`,
          );
      }
    }
  }

  if (fails.length > 0) return out('fail', fails.join('; '));
  if (doubts.length > 0) return out('inconclusive', doubts.join('; '));
  return out('pass', passes.join('; '));
}

function summarize(verdict: Verdict, series: SeriesVerdict[]): string {
  const name = (s: SeriesVerdict) => seriesName(s.labels);
  if (verdict === 'pass') {
    return series.length === 1 ? (series[0] as SeriesVerdict).reason : `all ${series.length} series pass`;
  }
  const hit = series.filter((s) => s.verdict === verdict);
  const first = hit[0] as SeriesVerdict;
  const prefix =
    series.length === 1
      ? ''
      : `${hit.length} of ${series.length} series ${verdict === 'fail' ? 'fail' : 'inconclusive'}; `;
  const who = Object.keys(first.labels).length === 0 ? '' : `${name(first)}: `;
  return `${prefix}${who}${first.reason}`;
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/** 4 significant digits, no exponent noise: 0.012345 → "0.01235", 1234567 → "1235000". */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return formatSample(n);
  return String(Number(n.toPrecision(4)));
}

function formatSample(n: number): SampleText {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}
