import { GATE_PRESETS, type GatePreset } from '../policy/gate-presets.js';
import type { ResolvedGate, Thresholds } from './evidence.js';

/** Every built-in gate, usable by name in `environments[].gates` with no PromQL written. */
// One list of names for the policy validator and the gates: the policy owns it (gates already read the schema).
export const PRESET_NAMES = GATE_PRESETS;
export type PresetName = GatePreset;

export const DEFAULT_WINDOW = '5m';
/** Requests a series needs in the window before a preset judges it; fewer is noise, so the round is inconclusive. */
export const DEFAULT_MIN_REQUESTS = 100;

/** Is this one of {@link PRESET_NAMES}? */
export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

export interface PresetOptions {
  window?: string | undefined;
  /**
   * Which label tells environments apart: `namespace` (default) compares `namespace="{{fromNamespace}}"`,
   * `environment` compares `environment="{{from}}"` for setups that label by environment instead.
   */
  scope?: 'namespace' | 'environment' | undefined;
  /** Overrides the label name of the scope (e.g. `kubernetes_namespace`, `env`). */
  scopeLabel?: string | undefined;
  thresholds?: Thresholds | undefined;
  minRequests?: number | undefined;
  /**
   * vLLM `finished_reason` values that count as errors. vLLM counts every finished request in
   * `vllm:request_success_total` and tells them apart by `finished_reason` (`stop`, `length`, `abort`, `error`,
   * `repetition`; see vllm/v1/engine/__init__.py `FINISH_REASON_STRINGS`). `abort` includes client disconnects.
   */
  vllmFailedReasons?: readonly string[] | undefined;
  /**
   * Which series count: all of the environment (default); `version`, those whose `candidateLabel` (default
   * `version`) is `{{tag}}` (the candidate, or for a baseline the tag the target runs); `pod`, those of pods running
   * `{{image}}:{{tag}}`, joined on their `pod` label with kube-state-metrics' `kube_pod_container_info`.
   */
  candidate?: 'all' | 'version' | 'pod' | undefined;
  candidateLabel?: string | undefined;
}

interface PresetShape {
  thresholds: Thresholds;
  query: (scope: string, o: { vllmFailedReasons: readonly string[] }) => string;
  traffic: (scope: string) => string;
}

/*
 * Queries use `{{window}}` and the scope placeholder rather than literal values, so the same text renders for the
 * candidate (`{{from…}}` = where it runs) and the baseline (the target environment), and every value is escaped.
 * Error rates use "errors or total * 0": a model that never logged an error has no error series at all, and without
 * the `or` its rate would be "no data" instead of 0.
 */
const PRESETS: Record<PresetName, PresetShape> = {
  'ttft-p95': {
    thresholds: { max: 2.0 },
    query: (s) =>
      `histogram_quantile(0.95, sum by (le, model) (rate(chat_first_token_latency_seconds_bucket{${s}}[{{window}}])))`,
    traffic: (s) => `sum by (model) (increase(chat_requests_total{${s}}[{{window}}]))`,
  },
  'error-rate': {
    thresholds: { max: 0.01 },
    query: (s) =>
      `(sum by (model) (rate(chat_requests_total{${s},status="error"}[{{window}}]))` +
      ` or sum by (model) (rate(chat_requests_total{${s}}[{{window}}])) * 0)` +
      ` / sum by (model) (rate(chat_requests_total{${s}}[{{window}}]))`,
    traffic: (s) => `sum by (model) (increase(chat_requests_total{${s}}[{{window}}]))`,
  },
  'vllm-ttft-p95': {
    thresholds: { max: 2.0 },
    query: (s) =>
      `histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket{${s}}[{{window}}])))`,
    traffic: (s) => `sum by (model_name) (increase(vllm:request_success_total{${s}}[{{window}}]))`,
  },
  'vllm-error-rate': {
    thresholds: { max: 0.01 },
    query: (s, o) => {
      const failed = o.vllmFailedReasons.map((r) => r.replace(/[^A-Za-z0-9_]/g, '')).join('|');
      return (
        `(sum by (model_name) (rate(vllm:request_success_total{${s},finished_reason=~"${failed}"}[{{window}}]))` +
        ` or sum by (model_name) (rate(vllm:request_success_total{${s}}[{{window}}])) * 0)` +
        ` / sum by (model_name) (rate(vllm:request_success_total{${s}}[{{window}}]))`
      );
    },
    traffic: (s) => `sum by (model_name) (increase(vllm:request_success_total{${s}}[{{window}}]))`,
  },
};

/**
 * A preset expanded into a gate: its PromQL template, default thresholds (TTFT p95 ≤ 2 s, error rate ≤ 1 %),
 * a 5m window and a traffic guard. Thresholds in `options` are added to the defaults (a gate that sets `maxRatio`
 * keeps the preset's `max` too), so basing a gate on a preset never checks less than the preset.
 *
 * @example
 * presetGate('ttft-p95', { window: '10m', thresholds: { max: 1.5 } })
 */
export function presetGate(
  name: PresetName,
  options: PresetOptions = {},
  gateName: string = name,
): ResolvedGate {
  const preset = PRESETS[name];
  const label = (
    options.scopeLabel ?? (options.scope === 'environment' ? 'environment' : 'namespace')
  ).replace(/[^A-Za-z0-9_]/g, '_');
  const scope = `${label}="${options.scope === 'environment' ? '{{from}}' : '{{fromNamespace}}'}"`;
  const vllmFailedReasons = options.vllmFailedReasons ?? ['error', 'abort'];
  const versionLabel = (options.candidateLabel ?? 'version').replace(/[^A-Za-z0-9_]/g, '_');
  const scoped = options.candidate === 'version' ? `${scope},${versionLabel}="{{tag}}"` : scope;
  const restrict = options.candidate === 'pod' ? onCandidatePods : (query: string) => query;
  return {
    name: gateName,
    preset: name,
    query: restrict(preset.query(scoped, { vllmFailedReasons })),
    window: options.window ?? DEFAULT_WINDOW,
    thresholds: { ...preset.thresholds, ...options.thresholds },
    traffic: { query: restrict(preset.traffic(scoped)), min: options.minRequests ?? DEFAULT_MIN_REQUESTS },
  };
}

/**
 * Keeps, inside every `rate(…[{{window}}])` / `increase(…[{{window}}])` of a preset, only the series of pods that run
 * the candidate image (kube-state-metrics `kube_pod_container_info`, digest-pinned or not), joined on `pod`.
 */
function onCandidatePods(query: string): string {
  return query.replace(
    /\b(rate|increase)\(([A-Za-z_:][A-Za-z0-9_:]*\{(?:[^{}]|\{\{\w+\}\})*\})\[\{\{window\}\}\]\)/g,
    (_m, fn: string, selector: string) =>
      `(${fn}(${selector}[{{window}}]) and on (pod) kube_pod_container_info{image=~"{{image}}:{{tag}}(@sha256:[0-9a-f]+)?"})`,
  );
}
