import { PermanentError } from '../errors/index.js';

/**
 * Checks a path given to the file tree and returns it normalized (`/`-separated, no `.` segments). Refuses what
 * could reach outside the working copy or into git's own files: absolute paths, drive letters, `..`, backslashes,
 * NUL, and any `.git` segment (hooks there would run on the next commit).
 */
export function safeRelativePath(path: string): string {
  const refuse = (why: string) =>
    new PermanentError(`refused path ${JSON.stringify(path)}: ${why}`, {
      advice: 'Paths in the deploy repo are relative to its root and stay inside it.',
    });
  if (path.includes('\0')) throw refuse('it contains NUL');
  if (path.includes('\\')) throw refuse('use / as the separator');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw refuse('it is absolute');
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) throw refuse('it climbs out with ..');
  if (segments.some((segment) => segment.toLowerCase() === '.git')) throw refuse('it points into .git');
  return segments.join('/');
}
