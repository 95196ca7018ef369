/**
 * Gates promobot knows without a query: an environment may list these names without defining them in
 * `spec.gates`, and a `spec.gates` entry may start from one (`preset:`) and set its own thresholds. The gates
 * module holds their PromQL; this list is what a policy may name.
 */
export const GATE_PRESETS = ['ttft-p95', 'error-rate', 'vllm-ttft-p95', 'vllm-error-rate'] as const;

export type GatePreset = (typeof GATE_PRESETS)[number];

/** Whether `name` is a built-in gate preset. */
export function isGatePreset(name: string): name is GatePreset {
  return (GATE_PRESETS as readonly string[]).includes(name);
}
