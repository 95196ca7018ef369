/**
 * The token scope Gitea checks for a REST call (routers/api/v1/api.go `tokenRequiresScopes`): pulls, statuses,
 * branches and hooks are `repository`; issues, comments and reactions `issue`; orgs and teams `organization`.
 * Reads need `read:`, everything else `write:`.
 *
 * @example requiredScope('POST', '/repos/o/r/issues/3/comments') // 'write:issue'
 */
export function requiredScope(method: string, path: string): string {
  const level = method.toUpperCase() === 'GET' ? 'read' : 'write';
  let category = 'repository';
  if (/^\/(orgs|teams)\//.test(path)) category = 'organization';
  else if (/^\/user(\/|$)/.test(path)) category = 'user';
  else if (/^\/repos\/[^/]+\/[^/]+\/issues(\/|$)/.test(path)) category = 'issue';
  return `${level}:${category}`;
}
