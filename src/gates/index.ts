// The gates' public face: what the promotion and ChatOps runtimes, setup and the CLI use of them.
export {
  GATES_COMMENT_MARKER,
  GATES_STATUS_CONTEXT,
  gatesCommitStatus,
  graphUrl,
  isGatesComment,
  renderReport,
} from './render-report.js';
export {
  type GateRunner,
  type GateRunnerDeps,
  GateTarget,
  WATCH_COMMENT_MARKER,
  type WatchFailure,
  WatchState,
  createGateRunner,
  initialWatchState,
  nextWatchState,
  watchCommitStatus,
} from './runtime/index.js';
export { GateState, type GateStep, initialGateState, nextGateState } from './rounds.js';
export { PRESET_NAMES, presetGate } from './presets.js';
export { type PrometheusClient, createPrometheusClient } from './prometheus-client.js';
export { QueryResult, describeQueryError } from './query-result.js';
export {
  QueryTemplateError,
  type QueryTemplateVars,
  checkQueryTemplate,
  renderQueryTemplate,
} from './render-query-template.js';
export { ResolvedGate, RoundEvidence, Verdict } from './evidence.js';
export { evaluate } from './evaluate.js';
export { resolveGates } from './resolve-gates.js';
export { runGateRound } from './run-gate-round.js';
export { runGates } from './run-gates.js';
