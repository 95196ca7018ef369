import { describe, expect, it } from 'vitest';
import { classifyGitError } from '../../src/git/index.js';

const context = { operation: 'push', branch: 'main' };

describe('git/classifyGitError()', () => {
  it.each([
    [
      'git push --porcelain, branch moved',
      'To /srv/deploy.git\n!\t3f9c2ab:refs/heads/main\t[rejected] (fetch first)\nDone',
    ],
    [
      'git push, non-fast-forward',
      ' ! [rejected]        HEAD -> main (non-fast-forward)\nerror: failed to push some refs',
    ],
    ['a server-side ref lock race', '!\t3f9c2ab:refs/heads/main\t[remote rejected] (failed to update ref)'],
  ])('reads %s as a lost race to retry on the new tip', (_case, output) => {
    expect(classifyGitError(output, context).kind).toBe('rejected');
  });

  it('reads a Gitea protected-branch refusal as permanent, saying the token user cannot push', () => {
    const output =
      'remote: Gitea: Not allowed to push to protected branch main\n' +
      '!\t3f9c2ab:refs/heads/main\t[remote rejected] (pre-receive hook declined)';
    expect(classifyGitError(output, context)).toMatchObject({
      kind: 'permanent',
      advice: expect.stringMatching(/pre-receive hook declined.*cannot push to main/),
    });
  });

  it('reads a GitHub protected-branch refusal as permanent', () => {
    const output = 'remote: error: GH006: Protected branch update failed for refs/heads/main.';
    expect(classifyGitError(output, context)).toMatchObject({
      kind: 'permanent',
      advice: expect.stringMatching(/protects main/),
    });
  });

  it('reads 403 on push as a token without write access', () => {
    const output =
      "fatal: unable to access 'https://gitea.example.com/o/r.git/': The requested URL returned error: 403";
    expect(classifyGitError(output, context)).toMatchObject({
      kind: 'permanent',
      advice:
        'The git server answered 403 on push: the token needs write:repository (Gitea) or contents: write (GitHub).',
    });
  });

  it.each([
    "fatal: could not read Username for 'https://gitea.example.com': terminal prompts disabled",
    "fatal: Authentication failed for 'https://gitea.example.com/o/r.git/'",
  ])('reads a refused token as permanent: %s', (output) => {
    expect(classifyGitError(output, { operation: 'fetch', branch: 'main' })).toMatchObject({
      kind: 'permanent',
      advice: expect.stringMatching(/did not accept the token/),
    });
  });

  it.each([
    "remote: Repository not found.\nfatal: repository 'https://gitea.example.com/o/missing.git/' not found",
    "fatal: '/srv/missing.git' does not appear to be a git repository",
  ])('reads a missing repo as permanent: %s', (output) => {
    expect(classifyGitError(output, { operation: 'clone', branch: 'main' })).toMatchObject({
      kind: 'permanent',
      advice: expect.stringMatching(/deploy repo was not found/),
    });
  });

  it('reads a missing branch as permanent', () => {
    expect(
      classifyGitError(
        'warning: Could not find remote branch main to clone.\nfatal: Remote branch main not found in upstream origin',
        { operation: 'clone', branch: 'main' },
      ),
    ).toMatchObject({ kind: 'permanent', reason: expect.stringMatching(/branch main does not exist/) });
  });

  it.each([
    "fatal: unable to access 'https://gitea.example.com/o/r.git/': Could not resolve host: gitea.example.com",
    "fatal: unable to access 'https://gitea.example.com/o/r.git/': The requested URL returned error: 502",
    'error: RPC failed; curl 56 Recv failure: Connection reset by peer\nfatal: early EOF',
  ])('reads network trouble and 5xx as transient: %s', (output) => {
    expect(classifyGitError(output, context).kind).toBe('transient');
  });
});
