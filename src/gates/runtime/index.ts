export {
  createGateRunner,
  type GateRunner,
  type GateRunnerDeps,
  type GateRunStatus,
} from './create-gate-runner.js';
export { GATES_QUEUE, GateTarget, GateRoundJob, gateRoundJobId } from './gate-round-job.js';
export { planEnvironmentGates, type EnvironmentGates } from './plan-environment-gates.js';
export { publishGateRound } from './publish-gate-round.js';
