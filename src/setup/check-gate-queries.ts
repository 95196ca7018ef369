import { errorMessage } from '../errors/index.js';
import {
  describeQueryError,
  renderQueryTemplate,
  resolveGates,
  type PrometheusClient,
  type QueryTemplateVars,
} from '../gates/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { KUBE_STATE_METRICS_ROLLOUT } from '../rollout/runtime/verify-with-prometheus.js';
import type { DoctorCheck } from '../hosts/ports/doctor-check.js';

/** One rendered query to check: which gate of which app and environment it belongs to. */
export interface GateQuery {
  readonly name: string;
  readonly expr: string;
}

/**
 * Pure: every query the policies' gates would run, rendered for each app and gated environment as a promotion
 * from its `from` environment would render it (traffic guards included, each distinct query once). A gate that
 * cannot be resolved becomes a failed check instead.
 */
export function gateQueries(policies: readonly PromotionPolicy[]): {
  queries: GateQuery[];
  problems: DoctorCheck[];
} {
  const queries = new Map<string, GateQuery>();
  const problems: DoctorCheck[] = [];
  for (const policy of policies) {
    const { spec } = policy;
    for (const to of spec.environments) {
      if (to.gates === undefined || to.gates.length === 0) continue;
      const from = spec.environments.find((e) => e.name === to.from) ?? to;
      let gates;
      try {
        gates = resolveGates({ names: to.gates, gates: spec.gates, traffic: spec.traffic });
      } catch (error) {
        problems.push({
          group: 'Gates',
          name: `${policy.metadata.name}/${to.name}`,
          status: 'fail',
          detail: errorMessage(error),
          fix: 'fix the gate in the policy; `promobot validate` shows where',
        });
        continue;
      }
      for (const app of spec.apps) {
        for (const gate of gates) {
          const vars: QueryTemplateVars = {
            app: app.name,
            from: from.name,
            to: to.name,
            namespace: to.namespace ?? to.name,
            fromNamespace: from.namespace ?? from.name,
            window: gate.window,
            // The candidate is not known here: a stand-in tag and digest check the syntax (no series is a warning).
            ...CANDIDATE_STAND_IN(app.image),
          };
          const where = `${policy.metadata.name}/${app.name}/${to.name}`;
          const add = (name: string, template: string) => {
            const expr = renderQueryTemplate(template, vars);
            if (!queries.has(expr)) queries.set(expr, { name, expr });
          };
          add(`${where} gate ${gate.name}`, gate.query);
          if (gate.traffic) add(`${where} gate ${gate.name} traffic`, gate.traffic.query);
        }
      }
    }
  }
  // verify: { provider: prometheus } runs a query too (the kube-state-metrics default when none is written).
  for (const policy of policies) {
    for (const env of policy.spec.environments) {
      if (env.verify?.provider !== 'prometheus') continue;
      for (const app of policy.spec.apps) {
        const namespace = env.namespace ?? env.name;
        const name = `${policy.metadata.name}/${app.name}/${env.name} verify`;
        try {
          const expr = renderQueryTemplate(env.verify.query ?? KUBE_STATE_METRICS_ROLLOUT, {
            app: app.name,
            from: env.name,
            to: env.name,
            namespace,
            fromNamespace: namespace,
            window: '5m',
            ...CANDIDATE_STAND_IN(app.image),
          });
          if (!queries.has(expr)) queries.set(expr, { name, expr });
        } catch (error) {
          problems.push({
            group: 'Gates',
            name,
            status: 'fail',
            detail: errorMessage(error),
            fix: 'fix verify.query in the policy',
          });
        }
      }
    }
  }
  return { queries: [...queries.values()], problems };
}

/** `{{image}}`, `{{tag}}`, `{{digest}}` for a syntax check, where no candidate is known. */
const CANDIDATE_STAND_IN = (image: string) => ({
  image,
  tag: 'promobot-doctor',
  digest: `sha256:${'0'.repeat(64)}`,
});

/**
 * Runs each query once, now: a syntax error (Prometheus `bad_data`) fails with the parser's message; a query that
 * answers with no series warns, since the gate would stay inconclusive until the metric exists.
 */
export async function checkGateQueries(
  client: PrometheusClient,
  queries: readonly GateQuery[],
): Promise<DoctorCheck[]> {
  return Promise.all(
    queries.map(async ({ name, expr }): Promise<DoctorCheck> => {
      const result = await client.query(expr);
      const base = { group: 'Gates', name };
      if (!result.ok) {
        const error = result.error;
        const syntax = error.kind === 'prometheus' && error.errorType === 'bad_data';
        return {
          ...base,
          status: 'fail',
          detail: `${syntax ? 'syntax error' : 'query failed'}: ${describeQueryError(error)} in ${expr}`,
          fix: syntax
            ? 'correct the PromQL in the policy (try it in the Prometheus UI first), then `promobot validate`'
            : 'check PROMETHEUS_URL and its credentials; a timeout wants a cheaper query or a larger PROMETHEUS_TIMEOUT_MS',
        };
      }
      const series =
        result.data.resultType === 'vector' || result.data.resultType === 'matrix'
          ? result.data.result.length
          : 1;
      if (series === 0) {
        return {
          ...base,
          status: 'warn',
          detail: `valid, but returns no data now: ${expr}`,
          fix: 'the gate stays inconclusive until these series exist: check the metric name, labels and namespace',
        };
      }
      return { ...base, status: 'pass', detail: `valid, ${series} series now` };
    }),
  );
}
