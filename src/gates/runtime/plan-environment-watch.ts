import type { Gating, PromotionPolicy } from '../../policy/schema.js';
import type { ResolvedGate, Thresholds } from '../evidence.js';
import type { GateEnvironment } from '../run-gates.js';
import { planEnvironmentGates } from './plan-environment-gates.js';

/** What a post-promotion watch runs: the environment's gates, measured in the environment itself. */
export interface EnvironmentWatch {
  gates: ResolvedGate[];
  env: GateEnvironment;
  gating: Gating;
  /** How long the watch lasts (a duration). */
  watch: string;
}

/**
 * The watch of an environment after a merge, or null when it sets no `watch` or has no gate left to watch. The new
 * release now runs where the baseline used to, so relative thresholds (`maxRatio`, `maxIncrease`) would compare it
 * with itself: they are dropped, and a gate with only relative thresholds is not watched.
 */
export function planEnvironmentWatch(policy: PromotionPolicy, envName: string): EnvironmentWatch | null {
  const plan = planEnvironmentGates(policy, envName);
  const env = policy.spec.environments.find((e) => e.name === envName);
  if (!plan || !env?.watch) return null;
  const gates = plan.gates
    .map((gate) => ({ ...gate, thresholds: absoluteOnly(gate.thresholds) }))
    .filter((gate) => Object.keys(gate.thresholds).length > 0);
  if (gates.length === 0) return null;
  return { gates, env: plan.to, gating: plan.gating, watch: env.watch };
}

function absoluteOnly(thresholds: Thresholds): Thresholds {
  const out: Thresholds = {};
  if (thresholds.max !== undefined) out.max = thresholds.max;
  if (thresholds.min !== undefined) out.min = thresholds.min;
  return out;
}
