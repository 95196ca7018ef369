export { createGitHubHost, type GitHubHost, type GitHubHostOptions } from './create-github-host.js';
export { appJwt, createAppTokens, needsRefresh, type GitHubAppCredentials } from './app-auth.js';
export { decideGitHubMergeFailure } from './decide-github-merge-failure.js';
export { requiredPermission } from './required-permission.js';
export { webUrl } from './web-url.js';
