import type { PolicySpec } from '../policy/schema.js';
import type { RolloutEvidence } from './decide-rollout.js';

/** Where the verification of the tag an environment runs stands, from promobot's own record (never a PR body). */
export type RolloutGate =
  | { state: 'verified'; tag: string; verifiedAt: number }
  | { state: 'waiting'; tag: string; reason: string }
  | { state: 'failed'; tag: string; reason: string; evidence: RolloutEvidence };

/** The part of what an environment runs that the rollout gate reads and moves. */
export interface RunningTag {
  tag: string | null;
  since: number | null;
}

/**
 * Pure: what the promotion decision should see of each environment once verification is taken into account.
 * An environment whose tag is verified running has run it since it was verified (the soak starts there, not at the
 * commit). One still waiting, or failed, is taken as soaked long ago, so the next environment's PR opens (or is
 * kept) at once; {@link heldByRollout} then keeps that PR from gates and merges, with the reason.
 */
export function runningForDecision<R extends RunningTag>(
  running: Readonly<Record<string, R>>,
  gates: ReadonlyMap<string, RolloutGate>,
): Record<string, R> {
  const out: Record<string, R> = { ...running };
  for (const [env, gate] of gates) {
    const now = running[env];
    if (!now || now.tag !== gate.tag) continue;
    out[env] = { ...now, since: gate.state === 'verified' ? gate.verifiedAt : 0 };
  }
  return out;
}

/**
 * Pure: each pull-request environment whose source (`from`) has a gate for the tag it runs, with that gate. A
 * gate that is not `verified` holds the environment's promotion: no soak, no gate round, no merge.
 */
export function rolloutOfSources(
  spec: PolicySpec,
  running: Readonly<Record<string, RunningTag>>,
  gates: ReadonlyMap<string, RolloutGate>,
): Map<string, RolloutGate> {
  const out = new Map<string, RolloutGate>();
  for (const env of spec.environments) {
    if (env.update !== 'pull-request' || env.from === undefined) continue;
    const gate = gates.get(env.from);
    if (gate && running[env.from]?.tag === gate.tag) out.set(env.name, gate);
  }
  return out;
}

/** Whether a source's gate holds the next environment's promotion. */
export function heldByRollout(
  gate: RolloutGate | undefined,
): gate is Exclude<RolloutGate, { state: 'verified' }> {
  return gate !== undefined && gate.state !== 'verified';
}
