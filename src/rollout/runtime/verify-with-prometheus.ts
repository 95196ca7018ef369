import { errorMessage, PromobotError } from '../../errors/index.js';
import type { PrometheusClient } from '../../gates/prometheus-client.js';
import { describeQueryError } from '../../gates/query-result.js';
import { renderQueryTemplate } from '../../gates/render-query-template.js';
import type { App, Environment, PolicySpec } from '../../policy/schema.js';
import type { ApplicationAnswer } from '../judge-verification.js';

/**
 * The kube-state-metrics default of `verify: { provider: prometheus }`: a series for each ReplicaSet in the
 * environment's namespace whose pods run the candidate (`<image>:<tag>`, digest-pinned or not) and whose ready
 * replicas reach its desired count, as long as no pod there still runs another tag of the image. Empty until then.
 * Metrics (kube-state-metrics v2): kube_pod_container_info, kube_pod_owner, kube_replicaset_spec_replicas,
 * kube_replicaset_status_ready_replicas.
 */
export const KUBE_STATE_METRICS_ROLLOUT = `(
  kube_replicaset_status_ready_replicas{namespace="{{namespace}}"}
    >= on (namespace, replicaset) kube_replicaset_spec_replicas{namespace="{{namespace}}"}
) > 0
and on (namespace, replicaset)
  count by (namespace, replicaset) (
    kube_pod_container_info{namespace="{{namespace}}", image=~"{{image}}:{{tag}}(@sha256:[0-9a-f]+)?"}
    * on (namespace, pod) group_left (replicaset)
      label_replace(kube_pod_owner{namespace="{{namespace}}", owner_kind="ReplicaSet"}, "replicaset", "$1", "owner_name", "(.+)")
  )
unless on ()
  count(kube_pod_container_info{namespace="{{namespace}}", image=~"{{image}}:.+", image!~"{{image}}:{{tag}}(@sha256:[0-9a-f]+)?"})`;

export interface PrometheusVerifyInput {
  environment: string;
  /** The policy's query; the kube-state-metrics default when absent. */
  query: string | undefined;
  app: App;
  env: Environment;
  spec: PolicySpec;
  tag: string;
  digest: string | undefined;
}

/**
 * One round of `verify: { provider: prometheus }`: verified when the query returns at least one series; waiting
 * (with the query) when it returns none; an error answer (never a pass) when Prometheus cannot answer.
 */
export async function verifyWithPrometheus(
  prometheus: PrometheusClient | null,
  input: PrometheusVerifyInput,
): Promise<ApplicationAnswer> {
  const application = 'prometheus';
  if (prometheus === null)
    return {
      application,
      error: { message: 'PROMETHEUS_URL is not set', advice: 'set PROMETHEUS_URL, or verify through argocd' },
    };
  const namespace = input.env.namespace ?? input.env.name;
  let expr: string;
  try {
    expr = renderQueryTemplate(input.query ?? KUBE_STATE_METRICS_ROLLOUT, {
      app: input.app.name,
      from: input.env.name,
      to: input.env.name,
      namespace,
      fromNamespace: namespace,
      window: '5m',
      tag: input.tag,
      image: input.app.image,
      digest: input.digest,
    });
  } catch (error) {
    return {
      application,
      error: {
        message: `the verify query cannot be rendered: ${errorMessage(error)}`,
        ...(error instanceof PromobotError && error.advice ? { advice: error.advice } : {}),
      },
    };
  }
  const result = await prometheus.query(expr);
  if (!result.ok) return { application, error: { message: describeQueryError(result.error) } };
  const found =
    result.data.resultType === 'vector' || result.data.resultType === 'matrix'
      ? result.data.result.length > 0
      : true;
  if (found) return { application, decision: { kind: 'verified', revision: '' } };
  return {
    application,
    decision: {
      kind: 'waiting',
      reason: `${input.environment}: Prometheus does not show ${input.app.image}:${input.tag} rolled out yet (${
        input.query === undefined
          ? `no ReplicaSet running it with every replica ready in ${namespace}, or a pod of another tag is left`
          : 'the verify query returns no series'
      })`,
    },
  };
}
