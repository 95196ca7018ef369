export {
  startGiteaDouble,
  type GiteaDouble,
  type GiteaDoubleOptions,
  type FaultRule,
} from './gitea-double.js';
export type { AccessLevel, DoublePull, DoubleUser, DoubleRepo, ReviewState } from './gitea-model.js';
