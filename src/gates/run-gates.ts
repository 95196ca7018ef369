import { errorMessage } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { evaluate } from './evaluate.js';
import { combineVerdicts, type GateEvaluation, type ResolvedGate, type RoundEvidence } from './evidence.js';
import type { PrometheusClient } from './prometheus-client.js';
import type { QueryResult } from './query-result.js';
import { renderQueryTemplate, type QueryTemplateVars } from './render-query-template.js';

/** An environment as gate queries see it. */
export interface GateEnvironment {
  name: string;
  /** Kubernetes namespace; the environment name when absent (as in the policy schema). */
  namespace?: string | undefined;
}

export interface RunGatesInput {
  client: PrometheusClient;
  gates: readonly ResolvedGate[];
  app: string;
  /** Where the candidate already runs: the gate queries measure here. */
  from: GateEnvironment;
  /** The environment being promoted into: the baseline of `maxRatio` / `maxIncrease`. */
  to: GateEnvironment;
  /**
   * The candidate (image, tag, digest) for `{{tag}}`, `{{image}}`, `{{digest}}`; baselines get `baselineTag`, the tag
   * the target runs now. A query that uses them without a candidate is inconclusive.
   */
  candidate?:
    | { image: string; tag: string; digest?: string | undefined; baselineTag?: string | null | undefined }
    | undefined;
  /** Evaluation time of every query of the round (so candidate and baseline share one window); now when absent. */
  time?: Date | number | undefined;
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
}

/**
 * Runs one round: renders each gate's query for the candidate (`from`), its baseline (the same query with `from`
 * swapped for `to`) when a relative threshold needs it, and its traffic guard; asks Prometheus (each distinct query
 * once, all at the same evaluation time); and judges every gate. Never rejects for a Prometheus problem: that is an
 * inconclusive gate in the evidence.
 */
export async function runGates(input: RunGatesInput): Promise<RoundEvidence> {
  const time =
    input.time === undefined ? Date.now() : input.time instanceof Date ? input.time.getTime() : input.time;
  const asked = new Map<string, Promise<QueryResult>>();
  const ask = (expr: string): Promise<QueryResult> => {
    let pending = asked.get(expr);
    if (!pending) {
      pending = input.client.query(expr, { time, signal: input.signal });
      asked.set(expr, pending);
    }
    return pending;
  };

  const fromNamespace = input.from.namespace ?? input.from.name;
  const toNamespace = input.to.namespace ?? input.to.name;
  const gates = await Promise.all(
    input.gates.map(async (gate): Promise<GateEvaluation> => {
      const candidateVars: QueryTemplateVars = {
        app: input.app,
        from: input.from.name,
        to: input.to.name,
        namespace: toNamespace,
        fromNamespace,
        window: gate.window,
        image: input.candidate?.image,
        tag: input.candidate?.tag,
        digest: input.candidate?.digest,
      };
      const baselineVars: QueryTemplateVars = {
        ...candidateVars,
        from: input.to.name,
        fromNamespace: toNamespace,
        tag: input.candidate?.baselineTag ?? undefined,
        digest: undefined,
      };
      const relative = gate.thresholds.maxRatio !== undefined || gate.thresholds.maxIncrease !== undefined;

      let queries: { candidate: string; baseline?: string | undefined; traffic?: string | undefined };
      try {
        queries = {
          candidate: renderQueryTemplate(gate.query, candidateVars),
          baseline: relative ? renderQueryTemplate(gate.query, baselineVars) : undefined,
          traffic: gate.traffic ? renderQueryTemplate(gate.traffic.query, candidateVars) : undefined,
        };
      } catch (error) {
        const reason = `query template: ${errorMessage(error)}`;
        input.logger?.warn({ gate: gate.name, err: error }, 'gate query template cannot be rendered');
        return {
          gate: gate.name,
          verdict: 'inconclusive',
          reason,
          thresholds: gate.thresholds,
          query: gate.query,
          series: [
            { labels: {}, verdict: 'inconclusive', reason, value: null, baseline: null, traffic: null },
          ],
        };
      }

      const [candidate, baseline, traffic] = await Promise.all([
        ask(queries.candidate),
        queries.baseline === undefined ? undefined : ask(queries.baseline),
        queries.traffic === undefined ? undefined : ask(queries.traffic),
      ]);
      return evaluate({
        gate,
        candidate,
        baseline,
        traffic: traffic && gate.traffic ? { result: traffic, min: gate.traffic.min } : undefined,
        queries,
      });
    }),
  );

  const outcome = combineVerdicts(gates.map((g) => g.verdict));
  const evidence: RoundEvidence = {
    evaluatedAt: new Date(time).toISOString(),
    outcome,
    reason: roundReason(outcome, gates),
    gates,
  };
  input.logger?.info(
    { app: input.app, from: input.from.name, to: input.to.name, outcome, reason: evidence.reason },
    'gate round evaluated',
  );
  return evidence;
}

function roundReason(outcome: RoundEvidence['outcome'], gates: GateEvaluation[]): string {
  if (gates.length === 0) return 'no gates configured';
  if (outcome === 'pass')
    return gates.length === 1 ? `${gates[0]?.gate} passes` : `all ${gates.length} gates pass`;
  const first = gates.find((g) => g.verdict === outcome) as GateEvaluation;
  return `${first.gate}: ${first.reason}`;
}
