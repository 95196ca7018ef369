export {
  startGitHubDouble,
  type GitHubDouble,
  type GitHubDoubleOptions,
  type GitHubFaultRule,
  type GitHubAccess,
  type GitHubPull,
  type GitHubUser,
} from './github-double.js';
