export * from './prometheus-response.js';
export { QueryError, QueryResult, describeQueryError } from './query-result.js';
export {
  createPrometheusClient,
  unixSeconds,
  type PrometheusClient,
  type PrometheusClientOptions,
  type QueryOptions,
} from './prometheus-client.js';
export {
  renderQueryTemplate,
  checkQueryTemplate,
  escapeStringLiteral,
  quoteRegex,
  QueryTemplateError,
  TEMPLATE_VARIABLES,
  type QueryTemplateVars,
} from './render-query-template.js';
export {
  Verdict,
  Thresholds,
  ResolvedGate,
  SeriesVerdict,
  GateEvaluation,
  RoundEvidence,
  seriesName,
  combineVerdicts,
} from './evidence.js';
export { evaluate, formatNumber, type EvaluateInput } from './evaluate.js';
export {
  PRESET_NAMES,
  DEFAULT_WINDOW,
  DEFAULT_MIN_REQUESTS,
  isPresetName,
  presetGate,
  type PresetName,
  type PresetOptions,
} from './presets.js';
export { resolveGates, type ResolveGatesInput } from './resolve-gates.js';
export {
  GateState,
  GateStatus,
  STATUS_DESCRIPTION_MAX,
  initialGateState,
  nextGateState,
  nextRoundAt,
  plannedRounds,
  describeGateState,
  truncate,
  type RoundOutcome,
  type GateStep,
} from './rounds.js';
export { runGates, type RunGatesInput, type GateEnvironment } from './run-gates.js';
export {
  renderReport,
  gatesCommitStatus,
  graphUrl,
  isGatesComment,
  GATES_COMMENT_MARKER,
  GATES_STATUS_CONTEXT,
  type RenderReportInput,
} from './render-report.js';
export { runGateRound, type RunGateRoundInput, type GateRound } from './run-gate-round.js';
export * from './runtime/index.js';
