import { PermanentError } from '../errors/index.js';
import type { Gate, Traffic } from '../policy/schema.js';
import type { ResolvedGate, Thresholds } from './evidence.js';
import { DEFAULT_WINDOW, isPresetName, presetGate, PRESET_NAMES } from './presets.js';
import { checkQueryTemplate } from './render-query-template.js';

export interface ResolveGatesInput {
  /** `environment.gates`: names from `spec.gates` or built-in presets. */
  names: readonly string[];
  /** `spec.gates`. */
  gates?: readonly Gate[] | undefined;
  /** `spec.traffic`: when set, it guards every gate instead of the presets' own traffic queries. */
  traffic?: Traffic | undefined;
}

/**
 * Turns an environment's gate names into runnable gates: a `spec.gates` entry by that name (its own `query`, or a
 * `preset` with its window and thresholds on top), else a built-in preset by that name. Throws
 * {@link PermanentError} for an unknown name, a gate with neither query nor preset, a gate without threshold, or a
 * template that cannot be rendered safely, so a broken policy is refused when it loads.
 */
export function resolveGates(input: ResolveGatesInput): ResolvedGate[] {
  return input.names.map((name) => {
    const gate = resolveOne(name, input.gates ?? []);
    const withTraffic = input.traffic ? { ...gate, traffic: { ...input.traffic } } : gate;
    checkQueryTemplate(withTraffic.query);
    if (withTraffic.traffic) checkQueryTemplate(withTraffic.traffic.query);
    return withTraffic;
  });
}

function resolveOne(name: string, gates: readonly Gate[]): ResolvedGate {
  const defined = gates.find((g) => g.name === name);
  if (!defined) {
    if (isPresetName(name)) return presetGate(name);
    throw new PermanentError(`unknown gate ${JSON.stringify(name)}`, {
      advice: `define it under spec.gates or use a preset: ${PRESET_NAMES.join(', ')}`,
    });
  }
  const thresholds = thresholdsOf(defined);
  if (defined.query !== undefined) {
    if (Object.keys(thresholds).length === 0) {
      throw new PermanentError(`gate ${JSON.stringify(name)} sets no threshold`, {
        advice: 'set max, min, maxRatio or maxIncrease',
      });
    }
    return { name, query: defined.query, window: defined.window ?? DEFAULT_WINDOW, thresholds };
  }
  const preset = defined.preset ?? name;
  if (!isPresetName(preset)) {
    throw new PermanentError(
      `gate ${JSON.stringify(name)} has no query and ${JSON.stringify(preset)} is no preset`,
      {
        advice: `set query, or preset to one of ${PRESET_NAMES.join(', ')}`,
      },
    );
  }
  return presetGate(
    preset,
    {
      window: defined.window,
      thresholds,
      candidate: defined.candidate,
      candidateLabel: defined.candidateLabel,
    },
    name,
  );
}

function thresholdsOf(gate: Gate): Thresholds {
  const out: Thresholds = {};
  if (gate.max !== undefined) out.max = gate.max;
  if (gate.min !== undefined) out.min = gate.min;
  if (gate.maxRatio !== undefined) out.maxRatio = gate.maxRatio;
  if (gate.maxIncrease !== undefined) out.maxIncrease = gate.maxIncrease;
  return out;
}
