/**
 * The worker's composition root: builds promotion and ChatOps from the configuration and fills the events queue's
 * handler registry, one handler per event kind.
 */
export {
  createWorkerRuntime,
  type WorkerRuntime,
  type WorkerRuntimeOptions,
} from './create-worker-runtime.js';
export { approverCheck, commandsIn, stopCommandsIn } from './chatops-for-promotion.js';
