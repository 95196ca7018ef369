export { createGitHubHost, type GitHubHostOptions } from './create-github-host.js';
export { decideGitHubMergeFailure } from './decide-github-merge-failure.js';
export { requiredPermission } from './required-permission.js';
export { webUrl } from './web-url.js';
