import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Stable key of a deploy repo branch, used for its working copy folder and its Redis keys. */
export function repoKey(url: string, branch: string): string {
  return createHash('sha256').update(`${url}\n${branch}`).digest('hex').slice(0, 24);
}

/** `<dataDir>/repos/<hash of url and branch>`: one persistent working copy per deploy repo branch. */
export function workingCopyDir(dataDir: string, url: string, branch: string): string {
  return join(dataDir, 'repos', repoKey(url, branch));
}
