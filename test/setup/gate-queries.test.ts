import { describe, expect, it } from 'vitest';
import { validatePolicyFiles } from '../../src/policy/index.js';
import { gateQueries } from '../../src/setup/check-gate-queries.js';

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: chat-ui, image: harbor.local/bootcamp/chat-ui }]
  environments:
    - { name: staging, path: '{{app}}/staging', update: commit, namespace: chat-staging, verify: { provider: prometheus } }
    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, gates: [by-version], verify: { provider: prometheus, query: 'up{job="{{app}}", version="{{tag}}"}' } }
  gates:
    - { name: by-version, query: 'x{version="{{tag}}", image="{{image}}", digest="{{digest}}"}', max: 1 }
`;

describe('setup/gateQueries() (doctor)', () => {
  it('renders candidate placeholders with a stand-in, and checks the verify queries too', () => {
    const { policies, problems } = validatePolicyFiles([{ path: 'p.yaml', text: POLICY }]);
    expect(problems).toEqual([]);
    const found = gateQueries(policies);
    expect(found.problems).toEqual([]);
    const byName = new Map(found.queries.map((q) => [q.name, q.expr]));
    expect(byName.get('chat/chat-ui/prod gate by-version')).toBe(
      `x{version="promobot-doctor", image="harbor.local/bootcamp/chat-ui", digest="sha256:${'0'.repeat(64)}"}`,
    );
    expect(byName.get('chat/chat-ui/prod verify')).toBe('up{job="chat-ui", version="promobot-doctor"}');
    const kubeStateMetrics = byName.get('chat/chat-ui/staging verify');
    expect(kubeStateMetrics).toContain('kube_replicaset_status_ready_replicas{namespace="chat-staging"}');
    expect(kubeStateMetrics).toContain(
      'image=~"harbor\\\\.local/bootcamp/chat-ui:promobot-doctor(@sha256:[0-9a-f]+)?"',
    );
  });
});
