export {
  createGitHubHost,
  decideGitHubMergeFailure,
  webUrl,
  type GitHubHostOptions,
} from './create-github-host.js';
export { requiredPermission } from './required-permission.js';
