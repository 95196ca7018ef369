export {
  createGateRunner,
  type GateRunner,
  type GateRunnerDeps,
  type GateRunStatus,
} from './create-gate-runner.js';
export { GATES_QUEUE, GateTarget, GateRoundJob, gateRoundJobId } from './gate-round-job.js';
export { planEnvironmentGates, type EnvironmentGates } from './plan-environment-gates.js';
export { publishGateRound } from './publish-gate-round.js';
export { WatchTarget, WatchRoundJob, watchRoundJobId, type WatchFailure } from './watch-round-job.js';
export {
  WatchState,
  WatchStatus,
  initialWatchState,
  nextWatchState,
  watchCommitStatus,
  WATCH_STATUS_CONTEXT,
  WATCH_COMMENT_MARKER,
} from './watch-state.js';
export { planEnvironmentWatch, type EnvironmentWatch } from './plan-environment-watch.js';
export { renderWatchReport } from './render-watch-report.js';
