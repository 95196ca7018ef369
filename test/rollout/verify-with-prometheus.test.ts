import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusClient, type PrometheusClient } from '../../src/gates/index.js';
import { validatePolicyFiles, type PromotionPolicy } from '../../src/policy/index.js';
import { verifyWithPrometheus } from '../../src/rollout/runtime/index.js';
import { startPrometheus, type MetricFamily, type PrometheusServer } from '../support/prometheus.js';

const IMAGE = 'harbor.local/bootcamp/chat-ui';
const NEW = '3f9c2ab';
const OLD = '1a2b3c4';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/**
 * kube-state-metrics v2 series of one namespace: a ReplicaSet `chat-ui-<hash>` per tag with its desired and ready
 * replicas, and its pods (kube_pod_owner, kube_pod_container_info).
 */
function namespace(
  ns: string,
  sets: { hash: string; image: string; desired: number; ready: number; pods: number }[],
): MetricFamily[] {
  const gauge = (
    name: string,
    series: { labels: Record<string, string>; value: number }[],
  ): MetricFamily => ({
    type: 'gauge',
    name,
    series,
  });
  const rs = (hash: string) => `chat-ui-${hash}`;
  const pods = sets.flatMap((set) =>
    Array.from({ length: set.pods }, (_, i) => ({ set, pod: `${rs(set.hash)}-p${i}` })),
  );
  return [
    gauge(
      'kube_replicaset_spec_replicas',
      sets.map((s) => ({ labels: { namespace: ns, replicaset: rs(s.hash) }, value: s.desired })),
    ),
    gauge(
      'kube_replicaset_status_ready_replicas',
      sets.map((s) => ({ labels: { namespace: ns, replicaset: rs(s.hash) }, value: s.ready })),
    ),
    gauge(
      'kube_pod_owner',
      pods.map(({ set, pod }) => ({
        labels: {
          namespace: ns,
          pod,
          owner_kind: 'ReplicaSet',
          owner_name: rs(set.hash),
          owner_is_controller: 'true',
        },
        value: 1,
      })),
    ),
    gauge(
      'kube_pod_container_info',
      pods.map(({ set, pod }) => ({
        labels: { namespace: ns, pod, container: 'chat-ui', image: set.image },
        value: 1,
      })),
    ),
  ];
}

/** Families of several namespaces, merged by metric name (promtool wants each family once). */
function merge(...groups: MetricFamily[][]): MetricFamily[] {
  const byName = new Map<string, { labels: Record<string, string>; value: number }[]>();
  for (const family of groups.flat()) {
    if (family.type !== 'gauge') continue;
    byName.set(family.name, [...(byName.get(family.name) ?? []), ...family.series]);
  }
  return [...byName].map(([name, series]) => ({ type: 'gauge', name, series }));
}

function policy(): PromotionPolicy {
  const { policies, problems } = validatePolicyFiles([
    {
      path: 'p.yaml',
      text: `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: chat-ui, image: ${IMAGE} }]
  environments:
    - { name: staging, path: '{{app}}/staging', update: commit, verify: { provider: prometheus } }
`,
    },
  ]);
  expect(problems).toEqual([]);
  return policies[0]!;
}

describe('rollout/verifyWithPrometheus() on a real Prometheus (kube-state-metrics default query)', () => {
  let server: PrometheusServer;
  let prometheus: PrometheusClient;
  const p = policy();
  const env = (ns: string) => ({ ...p.spec.environments[0]!, namespace: ns });
  const verify = (ns: string, options: { tag?: string; query?: string } = {}) =>
    verifyWithPrometheus(prometheus, {
      environment: 'staging',
      query: options.query,
      app: p.spec.apps[0]!,
      env: env(ns),
      spec: p.spec,
      tag: options.tag ?? NEW,
      digest: undefined,
    });

  beforeAll(async () => {
    server = await startPrometheus({
      durationSeconds: 600,
      families: merge(
        // Rolled out: every replica of the candidate's ReplicaSet is ready, the old one is scaled to 0.
        namespace('done', [
          { hash: 'new', image: `${IMAGE}:${NEW}`, desired: 3, ready: 3, pods: 3 },
          { hash: 'old', image: `${IMAGE}:${OLD}`, desired: 0, ready: 0, pods: 0 },
        ]),
        // Still rolling: 2 of 3 ready.
        namespace('rolling', [{ hash: 'new', image: `${IMAGE}:${NEW}`, desired: 3, ready: 2, pods: 3 }]),
        // Every replica ready, but a pod of the old tag is still there (terminating, or another Deployment).
        namespace('leftover', [
          { hash: 'new', image: `${IMAGE}:${NEW}`, desired: 2, ready: 2, pods: 2 },
          { hash: 'old', image: `${IMAGE}:${OLD}`, desired: 1, ready: 1, pods: 1 },
        ]),
        // Pinned by digest, as `pinDigest` writes it.
        namespace('pinned', [
          { hash: 'new', image: `${IMAGE}:${NEW}@${DIGEST}`, desired: 1, ready: 1, pods: 1 },
        ]),
      ),
    });
    prometheus = createPrometheusClient({ url: server.url, timeoutMs: 10_000 });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it('verifies a Deployment whose candidate replicas are all ready and no old pod is left', async () => {
    expect(await verify('done')).toEqual({
      application: 'prometheus',
      decision: { kind: 'verified', revision: '' },
    });
    expect(await verify('pinned')).toMatchObject({ decision: { kind: 'verified' } });
  });

  it('waits while replicas are not ready, while an old pod is left, and for a tag that never ran', async () => {
    for (const answer of [
      await verify('rolling'),
      await verify('leftover'),
      await verify('done', { tag: 'fffffff' }),
    ]) {
      expect(answer).toMatchObject({ decision: { kind: 'waiting' } });
    }
    const waiting = await verify('rolling');
    expect('decision' in waiting && waiting.decision.kind === 'waiting' && waiting.decision.reason).toBe(
      `staging: Prometheus does not show ${IMAGE}:${NEW} rolled out yet (no ReplicaSet running it with every replica ready in rolling, or a pod of another tag is left)`,
    );
  });

  it('a failed query is never a pass', async () => {
    expect(await verify('done', { query: 'sum(' })).toMatchObject({
      application: 'prometheus',
      error: { message: expect.stringContaining('bad_data') },
    });
    expect(await verify('done', { query: 'up{image="{{digest}}"}' })).toMatchObject({
      error: { message: expect.stringContaining('{{digest}} has no value here') },
    });
  });
});
