export {
  startGiteaDouble,
  type GiteaDouble,
  type GiteaDoubleOptions,
  type FaultRule,
  type FaultCounts,
  type RandomFaults,
} from './gitea-double.js';
export type { AccessLevel, DoublePull, DoubleUser, DoubleRepo, ReviewState } from './gitea-model.js';
