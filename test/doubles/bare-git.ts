import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** No user or system config leaks into the doubles' git calls. */
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

export interface GitIdentity {
  name: string;
  email: string;
}

async function git(bare: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('git', args, { cwd: bare, env: { ...GIT_ENV, ...env }, encoding: 'utf8' });
  return stdout.trim();
}

/** The commit a branch points at, or null when there is no such branch. */
export async function branchSha(bare: string, branch: string): Promise<string | null> {
  try {
    return await git(bare, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
  } catch {
    return null;
  }
}

export async function isAncestor(bare: string, ancestor: string, descendant: string): Promise<boolean> {
  try {
    await git(bare, ['merge-base', '--is-ancestor', ancestor, descendant]);
    return true;
  } catch {
    return false;
  }
}

/** True when merging `head` into `base` would conflict. */
export async function wouldConflict(bare: string, base: string, head: string): Promise<boolean> {
  try {
    await git(bare, ['merge-tree', '--write-tree', base, head]);
    return false;
  } catch {
    return true;
  }
}

export type MergeOutcome =
  { ok: true; sha: string; before: string } | { ok: false; conflict: true } | { ok: false; moved: true };

/**
 * Merges `headSha` into branch `base` of a bare repo the way a host does: a real three-way merge
 * (`git merge-tree --write-tree`), a merge commit (or one squashed commit), and a compare-and-swap `update-ref`
 * so a concurrent push makes the merge fail instead of being lost.
 */
export async function mergeIntoBranch(
  bare: string,
  base: string,
  headSha: string,
  options: { style: 'merge' | 'squash'; message: string; author: GitIdentity },
): Promise<MergeOutcome> {
  const before = await branchSha(bare, base);
  if (before === null) return { ok: false, moved: true };
  let tree: string;
  try {
    tree = (await git(bare, ['merge-tree', '--write-tree', before, headSha])).split('\n')[0] ?? '';
  } catch {
    return { ok: false, conflict: true };
  }
  const parents = options.style === 'squash' ? ['-p', before] : ['-p', before, '-p', headSha];
  const identity = {
    GIT_AUTHOR_NAME: options.author.name,
    GIT_AUTHOR_EMAIL: options.author.email,
    GIT_COMMITTER_NAME: options.author.name,
    GIT_COMMITTER_EMAIL: options.author.email,
  };
  const sha = await git(bare, ['commit-tree', tree, ...parents, '-m', options.message], identity);
  try {
    await git(bare, ['update-ref', `refs/heads/${base}`, sha, before]);
  } catch {
    return { ok: false, moved: true };
  }
  return { ok: true, sha, before };
}

export async function deleteBranch(bare: string, branch: string): Promise<boolean> {
  const sha = await branchSha(bare, branch);
  if (sha === null) return false;
  await git(bare, ['update-ref', '-d', `refs/heads/${branch}`, sha]);
  return true;
}

/** Commits reachable from `to` but not `from`, newest first, as a push webhook lists them. */
export async function commitsBetween(
  bare: string,
  from: string | null,
  to: string,
): Promise<{ id: string; message: string; author: GitIdentity; timestamp: string }[]> {
  const range = from ? [`${from}..${to}`] : [to];
  const out = await git(bare, ['log', '--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%B%x1e', ...range]);
  return out
    .split('\x1e')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [id = '', name = '', email = '', timestamp = '', message = ''] = entry.split('\x1f');
      return {
        id,
        message: message.endsWith('\n') ? message : `${message}\n`,
        author: { name, email },
        timestamp,
      };
    });
}
