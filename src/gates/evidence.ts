import { z } from 'zod';
import { Labels, SampleText } from './prometheus-response.js';

/**
 * The evidence a gate round leaves: what was asked, what Prometheus said, and the verdict. All of it is plain JSON so
 * it can ride in bullmq job data and be rendered into the PR comment later.
 */

export const Verdict = z.enum(['pass', 'fail', 'inconclusive']);
export type Verdict = z.infer<typeof Verdict>;

export const Thresholds = z.object({
  max: z.number().optional(),
  min: z.number().optional(),
  /** candidate / baseline ≤ maxRatio. */
  maxRatio: z.number().positive().optional(),
  /** candidate − baseline ≤ maxIncrease. */
  maxIncrease: z.number().optional(),
});
export type Thresholds = z.infer<typeof Thresholds>;

/** A gate ready to run: its query template, window, thresholds and traffic guard, presets already expanded. */
export const ResolvedGate = z.object({
  name: z.string().min(1),
  /** PromQL template (see `renderQueryTemplate`). */
  query: z.string().min(1),
  window: z.string().min(1),
  thresholds: Thresholds,
  /** Fewest requests in the window for a series to be judged at all. */
  traffic: z.object({ query: z.string().min(1), min: z.number().min(0) }).optional(),
  /** The preset it came from, for the report. */
  preset: z.string().optional(),
});
export type ResolvedGate = z.infer<typeof ResolvedGate>;

export const SeriesVerdict = z.object({
  /** The series' label set (`{ model: "llama-3" }`); empty for an ungrouped query or a gate-wide verdict. */
  labels: Labels,
  verdict: Verdict,
  reason: z.string(),
  /** Candidate value as Prometheus wrote it (`"0.42"`, `"NaN"`, `"+Inf"`); null when there was none. */
  value: SampleText.nullable(),
  /** Baseline value, when the gate compares with one. */
  baseline: SampleText.nullable(),
  /** Requests counted by the traffic guard for this series (or overall). */
  traffic: SampleText.nullable(),
});
export type SeriesVerdict = z.infer<typeof SeriesVerdict>;

export const GateEvaluation = z.object({
  gate: z.string(),
  verdict: Verdict,
  /** Why, in one line: the first failing or inconclusive series, or "all N series pass". */
  reason: z.string(),
  thresholds: Thresholds,
  /** The rendered PromQL actually sent, for the report and its graph link. */
  query: z.string(),
  baselineQuery: z.string().optional(),
  trafficQuery: z.string().optional(),
  trafficMin: z.number().optional(),
  series: z.array(SeriesVerdict),
});
export type GateEvaluation = z.infer<typeof GateEvaluation>;

/** One round over every gate of an environment. */
export const RoundEvidence = z.object({
  /** Evaluation time sent to Prometheus, ISO 8601. */
  evaluatedAt: z.string(),
  outcome: Verdict,
  reason: z.string(),
  gates: z.array(GateEvaluation),
});
export type RoundEvidence = z.infer<typeof RoundEvidence>;

/** `model="llama-3", route="chat"`, or `all` for the empty label set. */
export function seriesName(labels: Labels): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return 'all';
  return entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
}

/** A fail anywhere fails; otherwise anything inconclusive is inconclusive; only all-pass passes (and none passes). */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.length === 0 || verdicts.includes('inconclusive')) return 'inconclusive';
  return 'pass';
}
