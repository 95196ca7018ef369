/**
 * The fine-grained token permission a GitHub REST call needs, for advice on a 401/403.
 *
 * @example requiredPermission('POST', '/repos/o/r/statuses/abc') // 'commit statuses: write'
 */
export function requiredPermission(method: string, path: string): string {
  const level = method.toUpperCase() === 'GET' ? 'read' : 'write';
  if (/^\/(orgs|teams)\//.test(path)) return 'members: read';
  if (/\/statuses\/|\/status$/.test(path)) return `commit statuses: ${level}`;
  // Reactions on a comment are under Issues only; comments take either.
  if (/\/reactions$/.test(path)) return 'issues: write';
  if (/\/issues\//.test(path)) return `issues: ${level} (or pull requests: ${level})`;
  if (/\/git\/refs\//.test(path)) return 'contents: write';
  if (/\/pulls(\/|$)/.test(path))
    return level === 'write' && /\/merge$/.test(path) ? 'contents: write' : `pull requests: ${level}`;
  if (/\/collaborators\//.test(path)) return 'metadata: read';
  if (/\/hooks(\/|$)/.test(path)) return `webhooks: ${level}`;
  if (/^\/repos\/[^/]+\/[^/]+$/.test(path)) return 'metadata: read';
  return `contents: ${level}`;
}
