export { createGiteaHost, decideMergeFailure, type GiteaHostOptions } from './create-gitea-host.js';
export { requiredScope } from './required-scope.js';
export type { RetryOptions } from './gitea-client.js';
