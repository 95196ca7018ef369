import type { Config } from '../config/index.js';
import { createPrometheusClient, describeQueryError } from '../gates/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { checkGateQueries, gateQueries } from './check-gate-queries.js';
import type { DoctorCheck } from '../hosts/ports/doctor-check.js';

/**
 * Prometheus answers a trivial query, and then every gate query of the policies (or, when it does not answer, the
 * gate queries are listed as not checked).
 */
export async function checkPrometheus(
  config: Config,
  policies: readonly PromotionPolicy[],
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const { queries, problems } = gateQueries(policies);
  const url = config.prometheus.url;
  if (url === undefined) {
    if (queries.length === 0) {
      return [
        {
          group: 'Prometheus',
          name: 'PROMETHEUS_URL',
          status: 'skip',
          detail: 'not set, and no policy has gates',
        },
      ];
    }
    return [
      {
        group: 'Prometheus',
        name: 'PROMETHEUS_URL',
        status: 'fail',
        detail: `not set, but the policies have ${queries.length} gate queries`,
        fix: 'set PROMETHEUS_URL to Prometheus (or Thanos Query), e.g. http://prometheus:9090',
      },
      ...problems,
    ];
  }
  const client = createPrometheusClient({
    url,
    bearerToken: config.prometheus.bearerToken,
    username: config.prometheus.username,
    password: config.prometheus.password,
    timeoutMs: Math.min(config.prometheus.timeoutMs, timeoutMs),
  });
  const probe = await client.query('vector(1)');
  if (!probe.ok) {
    return [
      {
        group: 'Prometheus',
        name: url,
        status: 'fail',
        detail: describeQueryError(probe.error),
        fix:
          probe.error.kind === 'http' && (probe.error.httpStatus === 401 || probe.error.httpStatus === 403)
            ? 'set PROMETHEUS_BEARER_TOKEN, or PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD'
            : `check PROMETHEUS_URL (${url}) and that this machine can reach it`,
      },
      ...problems,
      ...queries.map((q): DoctorCheck => ({
        group: 'Gates',
        name: q.name,
        status: 'skip',
        detail: 'not checked: Prometheus does not answer',
      })),
    ];
  }
  return [
    { group: 'Prometheus', name: url, status: 'pass', detail: 'answers queries' },
    ...problems,
    ...(await checkGateQueries(client, queries)),
  ];
}
