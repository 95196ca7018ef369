/** What a failed git command means for the caller. */
export type GitFailure =
  | { kind: 'rejected'; reason: string }
  | { kind: 'permanent'; reason: string; advice: string; credentials?: true }
  | { kind: 'transient'; reason: string };

interface Rule {
  test: RegExp;
  failure: (context: { operation: string; branch: string }) => GitFailure;
}

// Order matters: the first rule that matches wins, so the specific refusals come before the generic HTTP codes.
const RULES: readonly Rule[] = [
  {
    // A lost race with another writer: `git push --porcelain` prints `[rejected] (fetch first)` or
    // `(non-fast-forward)`; a server-side ref lock race prints `failed to update ref` / `cannot lock ref`.
    test: /\[rejected\][^\n]*\((?:fetch first|non-fast-forward)\)|\[remote rejected\][^\n]*(?:failed to update ref|cannot lock ref|failed to lock)|! \[rejected\]|Updates were rejected because the (?:remote contains|tip of your current branch)/i,
    failure: () => ({ kind: 'rejected', reason: 'the branch moved on the remote' }),
  },
  {
    test: /pre-receive hook declined/i,
    failure: ({ branch }) => ({
      kind: 'permanent',
      reason: 'the server refused the push in its pre-receive hook',
      advice: `The deploy repo answered "pre-receive hook declined": the token's user cannot push to ${branch} (read-only access or a protected branch). Give it write access, or allow it to push to ${branch} in the branch protection.`,
    }),
  },
  {
    test: /protected branch|GH006|GH013|refusing to allow|hook declined/i,
    failure: ({ branch }) => ({
      kind: 'permanent',
      reason: 'the branch is protected against this push',
      advice: `The deploy repo protects ${branch} against direct pushes by the token's user. Allow it to push in the branch protection, or use the pull-request update mode for this environment.`,
    }),
  },
  {
    test: /returned error: 403|HTTP 403|\b403 Forbidden/i,
    failure: ({ operation }) => ({
      kind: 'permanent',
      reason: `the server answered 403 on ${operation}`,
      advice:
        operation === 'push'
          ? 'The git server answered 403 on push: the token needs write:repository (Gitea) or contents: write (GitHub).'
          : `The git server answered 403 on ${operation}: the token needs read:repository (Gitea) or contents: read (GitHub).`,
    }),
  },
  {
    test: /returned error: 401|HTTP 401|Authentication failed|could not read Username|could not read Password|terminal prompts disabled|invalid credentials/i,
    failure: ({ operation }) => ({
      kind: 'permanent',
      reason: `the server refused the credentials on ${operation}`,
      advice:
        'The git server did not accept the token: check GITEA_TOKEN / GITHUB_TOKEN (set, not expired, not revoked), or the GITHUB_APP_* settings.',
      credentials: true,
    }),
  },
  {
    test: /returned error: 404|Repository not found|does not appear to be a git repository|repository '[^']*' (?:not found|does not exist)|not found: did you run git update-server-info/i,
    failure: () => ({
      kind: 'permanent',
      reason: 'the deploy repo does not exist or the token cannot see it',
      advice:
        'The deploy repo was not found: check spec.deployRepo in the policy, and that the token can read it (private repos answer 404 to strangers).',
    }),
  },
  {
    test: /couldn't find remote ref|Remote branch \S+ not found|invalid refspec/i,
    failure: ({ branch }) => ({
      kind: 'permanent',
      reason: `the branch ${branch} does not exist in the deploy repo`,
      advice: `Create the branch ${branch} in the deploy repo, or fix spec.deployRepo.branch in the policy.`,
    }),
  },
];

/**
 * Maps the output of a failed git command to what it means: a lost push race (`rejected`, retry on the new tip),
 * a refusal no retry can fix (`permanent`, with advice for the user), or anything else (`transient`: network, 5xx,
 * timeouts, which the queue retries with backoff).
 */
export function classifyGitError(output: string, context: { operation: string; branch: string }): GitFailure {
  for (const rule of RULES) {
    if (rule.test.test(output)) return rule.failure(context);
  }
  return { kind: 'transient', reason: `git ${context.operation} failed` };
}
