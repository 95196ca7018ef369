export {
  startArgoCdDouble,
  type ArgoCdDouble,
  type DoubleApplication,
  type DoubleResource,
  type HealthStatus,
  type OperationPhase,
  type SyncStatus,
} from './argocd-double.js';
