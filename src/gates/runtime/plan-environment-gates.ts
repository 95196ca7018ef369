import { PermanentError } from '../../errors/index.js';
import type { Gating, PromotionPolicy } from '../../policy/schema.js';
import type { ResolvedGate } from '../evidence.js';
import { resolveGates } from '../resolve-gates.js';
import type { GateEnvironment } from '../run-gates.js';

/** What the rounds of one environment run: its gates, where they measure, and how often. */
export interface EnvironmentGates {
  gates: ResolvedGate[];
  /** The candidate: the environment the promoted tag already runs in. */
  from: GateEnvironment;
  /** The baseline: the environment being promoted into. */
  to: GateEnvironment;
  gating: Gating;
}

/**
 * The gates an environment's promotion PR must pass, or null when it has none. Throws {@link PermanentError} for an
 * environment the policy does not list, gates on an entry environment (nothing runs the candidate yet, so there is
 * nothing to measure), or a gate `resolveGates` refuses.
 */
export function planEnvironmentGates(policy: PromotionPolicy, envName: string): EnvironmentGates | null {
  const { spec } = policy;
  const env = spec.environments.find((e) => e.name === envName);
  if (!env)
    throw new PermanentError(`policy ${policy.metadata.name} has no environment ${JSON.stringify(envName)}`);
  if (env.gates.length === 0) return null;
  const from = env.from === undefined ? undefined : spec.environments.find((e) => e.name === env.from);
  if (!from) {
    throw new PermanentError(
      `environment ${envName} of policy ${policy.metadata.name} has gates but no from environment to measure`,
      { advice: 'gates measure the candidate where it already runs: set from, or remove the gates' },
    );
  }
  return {
    gates: resolveGates({ names: env.gates, gates: spec.gates, traffic: spec.traffic }),
    from: { name: from.name, namespace: from.namespace },
    to: { name: env.name, namespace: env.namespace },
    gating: env.gating,
  };
}
