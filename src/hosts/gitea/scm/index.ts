export { createGiteaHost, type GiteaHostOptions } from './create-gitea-host.js';
export { decideMergeFailure } from './decide-merge-failure.js';
export { requiredScope } from './required-scope.js';
export type { RetryOptions } from './gitea-client.js';
