import { execFile } from 'node:child_process';
import { gitEnv } from '../git/index.js';
import type { DoctorCheck } from '../hosts/ports/doctor-check.js';

export interface GitReadInput {
  readonly repo: string;
  readonly url: string;
  readonly branch: string;
  readonly token?: string | undefined;
  /** Where PATH and HOME come from. */
  readonly baseEnv: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** What a failed `git ls-remote` means, from git's (English) message. Pure. */
export function adviseGitRead(
  input: { repo: string; url: string; tokenVariable: string },
  stderr: string,
): string {
  if (/Authentication failed|could not read Username|terminal prompts disabled|401/i.test(stderr)) {
    return `git refused the credentials: set ${input.tokenVariable} to a token that can read ${input.repo}`;
  }
  if (/not found|does not appear to be a git repository|404/i.test(stderr)) {
    return `${input.url} is not a repository the token can see: check spec.deployRepo (repo, url) and give the token's user read access`;
  }
  if (/Could not resolve host|Connection refused|timed out|Failed to connect/i.test(stderr)) {
    return `cannot reach ${input.url}: check the URL and that this machine can reach the host`;
  }
  if (/SSL|certificate/i.test(stderr)) {
    return 'the TLS certificate is not trusted: add the CA to the system store (or NODE_EXTRA_CA_CERTS and git http.sslCAInfo)';
  }
  return `see git's message above`;
}

/**
 * Read access to a deploy repo: `git ls-remote --exit-code <url> refs/heads/<branch>` with the token as git sends
 * it for promobot's own clones, so it proves the clone would work without writing anything.
 */
export async function checkGitRead(input: GitReadInput, tokenVariable: string): Promise<DoctorCheck> {
  const env = gitEnv({
    base: input.baseEnv,
    url: input.url,
    ...(input.token !== undefined && /^https?:/i.test(input.url)
      ? { auth: { username: 'x-access-token', token: input.token } }
      : {}),
  });
  const base = { group: 'Deploy repos', name: `${input.repo} read (${input.branch})` };
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'git',
      ['ls-remote', '--exit-code', input.url, `refs/heads/${input.branch}`],
      { env, timeout: input.timeoutMs ?? 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
  if (result.code === 0) {
    const sha = result.stdout.split(/\s/)[0] ?? '';
    return {
      ...base,
      status: 'pass',
      detail: `git can read ${input.url}; ${input.branch} is at ${sha.slice(0, 12)}`,
    };
  }
  if (result.code === 2) {
    return {
      ...base,
      status: 'fail',
      detail: `${input.url} has no branch ${input.branch}`,
      fix: `create ${input.branch} in ${input.repo}, or set spec.deployRepo.branch to the branch Argo CD syncs`,
    };
  }
  const message = result.stderr.trim().split('\n').slice(-2).join(' ');
  return {
    ...base,
    status: 'fail',
    detail: `git ls-remote failed: ${message}`,
    fix: adviseGitRead({ repo: input.repo, url: input.url, tokenVariable }, result.stderr),
  };
}
