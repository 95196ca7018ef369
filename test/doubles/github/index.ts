export {
  startGitHubDouble,
  type GitHubDouble,
  type GitHubDoubleOptions,
  type GitHubFaultRule,
  type GitHubAccess,
  type GitHubApp,
  type GitHubProtection,
  type GitHubPull,
  type GitHubUser,
} from './github-double.js';
export {
  NEEDS,
  checkToken,
  type FineLevel,
  type FinePermission,
  type OrgRole,
  type TeamPrivacy,
  type TokenKind,
} from './access.js';
