import { describe, expect, it } from 'vitest';
import { validatePolicyFiles } from '../../src/policy/index.js';
import { decidePromotions, type Running } from '../../src/promotion/index.js';
import {
  heldByRollout,
  rolloutOfSources,
  runningForDecision,
  type RolloutGate,
} from '../../src/rollout/rollout-gate.js';

const { policies } = validatePolicyFiles([
  {
    path: 'p.yaml',
    text: `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: chat-ui, image: harbor.local/bootcamp/chat-ui }]
  environments:
    - { name: staging, path: '{{app}}/staging', update: commit, verify: { provider: argocd } }
    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, soak: 1h }
`,
  },
]);
const spec = policies[0]!.spec;
const app = spec.apps[0]!;
const HOUR = 3_600_000;
const NOW = 100 * HOUR;
const COMMITTED = NOW - 5 * HOUR;

const running: Record<string, Running> = {
  staging: { tag: 'new', since: COMMITTED, commit: 'c1' },
  prod: { tag: 'old', since: 0, commit: 'c0' },
};
const decide = (gates: Map<string, RolloutGate>) =>
  decidePromotions({
    spec,
    app,
    running: runningForDecision(running, gates),
    pushed: null,
    open: [],
    now: NOW,
  });

describe('rollout/rollout-gate', () => {
  it('without a gate, the soak counts from the commit (verify: none keeps today’s behaviour)', () => {
    expect(decide(new Map())).toMatchObject([{ kind: 'open', env: 'prod', tag: 'new' }]);
    expect(rolloutOfSources(spec, running, new Map())).toEqual(new Map());
  });

  it('a verified source soaks from the verified time, not the commit', () => {
    const gates = new Map<string, RolloutGate>([
      ['staging', { state: 'verified', tag: 'new', verifiedAt: NOW - HOUR / 2 }],
    ]);
    // Committed 5 h ago, but verified only 30 min ago: still soaking for 30 min, so no PR yet.
    expect(decide(gates)).toEqual([
      { kind: 'recheck', env: 'prod', at: NOW + HOUR / 2, reason: 'new soaks in staging until then' },
    ]);
    expect(heldByRollout(rolloutOfSources(spec, running, gates).get('prod'))).toBe(false);
  });

  it('a waiting or failed source opens the next PR at once, and holds it', () => {
    for (const gate of [
      { state: 'waiting', tag: 'new', reason: 'OutOfSync' },
      { state: 'failed', tag: 'new', reason: 'Degraded', evidence: {} },
    ] as const) {
      const gates = new Map<string, RolloutGate>([['staging', gate]]);
      expect(decide(gates)).toMatchObject([{ kind: 'open', env: 'prod', tag: 'new' }]);
      const held = rolloutOfSources(spec, running, gates).get('prod');
      expect(held).toEqual(gate);
      expect(heldByRollout(held)).toBe(true);
    }
  });

  it('a gate about another tag than the one running counts for nothing', () => {
    const gates = new Map<string, RolloutGate>([
      ['staging', { state: 'verified', tag: 'older', verifiedAt: NOW }],
    ]);
    expect(runningForDecision(running, gates)).toEqual(running);
    expect(rolloutOfSources(spec, running, gates)).toEqual(new Map());
  });
});
