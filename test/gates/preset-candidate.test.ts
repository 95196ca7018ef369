import { describe, expect, it } from 'vitest';
import { validatePolicyFiles } from '../../src/policy/index.js';
import {
  presetGate,
  renderQueryTemplate,
  resolveGates,
  type QueryTemplateVars,
} from '../../src/gates/index.js';

const vars: QueryTemplateVars = {
  app: 'chat-ui',
  from: 'staging',
  to: 'prod',
  namespace: 'chat-prod',
  fromNamespace: 'chat-staging',
  window: '5m',
  image: 'harbor.local/bootcamp/chat-ui',
  tag: '3f9c2ab',
};

describe('gates/presetGate() restricted to the candidate', () => {
  it('all (the default) measures every series of the environment, as before', () => {
    expect(presetGate('error-rate', { candidate: 'all' })).toEqual(presetGate('error-rate'));
  });

  it('version keeps the series whose version label is the candidate tag, escaped', () => {
    const gate = presetGate('ttft-p95', { candidate: 'version', candidateLabel: 'app_version' });
    expect(renderQueryTemplate(gate.query, vars)).toBe(
      'histogram_quantile(0.95, sum by (le, model) (rate(chat_first_token_latency_seconds_bucket{namespace="chat-staging",app_version="3f9c2ab"}[5m])))',
    );
    expect(renderQueryTemplate(gate.traffic!.query, { ...vars, tag: 'x"} or vector(1e9) #' })).toBe(
      'sum by (model) (increase(chat_requests_total{namespace="chat-staging",app_version="x\\"} or vector(1e9) #"}[5m]))',
    );
  });

  it('pod joins every rate and increase with the pods running <image>:<tag>', () => {
    const gate = presetGate('error-rate', { candidate: 'pod' });
    const query = renderQueryTemplate(gate.query, vars);
    const pods =
      'and on (pod) kube_pod_container_info{image=~"harbor\\\\.local/bootcamp/chat-ui:3f9c2ab(@sha256:[0-9a-f]+)?"}';
    expect(query.split(pods)).toHaveLength(4);
    expect(query).toContain(
      `(rate(chat_requests_total{namespace="chat-staging",status="error"}[5m]) ${pods})`,
    );
    expect(renderQueryTemplate(gate.traffic!.query, vars)).toBe(
      `sum by (model) ((increase(chat_requests_total{namespace="chat-staging"}[5m]) ${pods}))`,
    );
  });

  it('is set on a spec.gates entry that starts from a preset', () => {
    const gates = resolveGates({
      names: ['errors'],
      gates: [{ name: 'errors', preset: 'error-rate', candidate: 'version', max: 0.02 }],
    });
    expect(gates[0]!.query).toContain('version="{{tag}}"');
  });

  it('is refused on a gate with its own query, where {{tag}} says it', () => {
    const text = (gate: string) => `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: chat-ui, image: harbor.local/bootcamp/chat-ui }]
  environments:
    - { name: staging, path: '{{app}}/staging', update: commit }
    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, gates: [g] }
  gates:
    - ${gate}
`;
    const problems = (gate: string) =>
      validatePolicyFiles([{ path: 'p.yaml', text: text(gate) }]).problems.map((p) => p.message);
    expect(problems('{ name: g, preset: error-rate, candidate: pod }')).toEqual([]);
    expect(problems('{ name: g, query: \'up{v="{{tag}}"}\', max: 1, candidate: version }')).toEqual([
      'spec.gates[0].candidate: gate "g": candidate and candidateLabel restrict a preset; in a query, write {{tag}} or {{image}} where the series should match the candidate',
    ]);
  });
});
