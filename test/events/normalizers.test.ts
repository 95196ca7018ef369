import { describe, expect, it } from 'vitest';
import { PayloadValidationError } from '../../src/events/index.js';
import { normalizeGitHub } from '../../src/hosts/github/normalize.js';
import { normalizeGitea } from '../../src/hosts/gitea/normalize.js';
import { normalizeHarbor } from '../../src/hosts/harbor/normalize.js';
import { normalizeRegistry, registryTag } from '../../src/hosts/registry/normalize.js';
import { fixtureJson } from '../support/fixtures.js';

const repository = { name: 'app', full_name: 'acme/app', owner: { login: 'acme' } };

describe('events/normalizeHarbor()', () => {
  const push = (
    resources: object[],
    repo = { name: 'team/app', namespace: 'bootcamp', repo_full_name: 'bootcamp/team/app' },
  ) => ({
    type: 'PUSH_ARTIFACT',
    occur_at: 1680501893,
    event_data: { resources, repository: repo },
  });

  it('keeps nested repository paths and takes the registry host from resource_url', () => {
    const result = normalizeHarbor(
      {},
      push([
        {
          digest: 'sha256:' + 'a'.repeat(64),
          tag: 'v1',
          resource_url: 'harbor.example.com:8443/bootcamp/team/app:v1',
        },
      ]),
    );
    expect(result).toEqual({
      events: [
        {
          type: 'ImagePushed',
          source: 'harbor',
          registry: 'harbor.example.com:8443',
          project: 'bootcamp',
          repository: 'bootcamp/team/app',
          tag: 'v1',
          digest: 'sha256:' + 'a'.repeat(64),
          occurredAt: '2023-04-03T06:04:53.000Z',
        },
      ],
    });
  });

  it('drops the resources whose "tag" is a digest and keeps the others', () => {
    const result = normalizeHarbor(
      {},
      push([
        { tag: 'sha256:' + 'b'.repeat(64), resource_url: 'h/bootcamp/team/app@sha256:' + 'b'.repeat(64) },
        { tag: 'abc1234', resource_url: 'h/bootcamp/team/app:abc1234' },
      ]),
    );
    expect('events' in result && result.events.map((e) => (e.type === 'ImagePushed' ? e.tag : ''))).toEqual([
      'abc1234',
    ]);
  });

  it('throws a validation error naming the path of a wrong field', () => {
    const body = push([{ tag: 'v1', resource_url: 42 }]);
    expect(() => normalizeHarbor({}, body)).toThrow(PayloadValidationError);
    expect(() => normalizeHarbor({}, body)).toThrow(/event_data\.resources\.0\.resource_url/);
  });

  it('ignores CloudEvents of other types', () => {
    const body = fixtureJson('harbor/push_artifact.cloudevents.jsonc');
    const result = normalizeHarbor(
      { 'content-type': 'application/cloudevents+json' },
      { ...body, type: 'harbor.scan.completed' },
    );
    expect(result).toEqual({ ignored: 'Harbor event harbor.scan.completed is not an artifact push' });
  });
});

describe('events/normalizeGitea()', () => {
  const comment = fixtureJson('gitea/issue_comment.on_pr.created.json');

  it('ignores edited and deleted comments with the reason', () => {
    for (const action of ['edited', 'deleted']) {
      expect(
        normalizeGitea({ 'x-gitea-event-type': 'pull_request_comment' }, { ...comment, action }),
      ).toEqual({
        ignored: `Gitea comment action ${action} is not acted on (only created)`,
      });
    }
  });

  it('passes comments on plain issues on, marked as such (for /promote and /rollback)', () => {
    const result = normalizeGitea({ 'x-gitea-event-type': 'issue_comment' }, { ...comment, is_pull: false });
    expect(result).toMatchObject({ events: [{ type: 'CommentCreated', isPullRequest: false }] });
  });

  it('reads a rejection from the coarse X-Gitea-Event when the finer header is absent', () => {
    const review = fixtureJson('gitea/pull_request_review_approved.json');
    const result = normalizeGitea({ 'x-gitea-event': 'pull_request_rejected' }, review);
    expect(result).toMatchObject({ events: [{ type: 'ReviewSubmitted', state: 'rejected' }] });
  });

  it('turns pull_request_sync into a synchronized change', () => {
    const pr = fixtureJson('gitea/pull_request.opened.json');
    const result = normalizeGitea(
      { 'x-gitea-event-type': 'pull_request_sync' },
      { ...pr, action: 'synchronized' },
    );
    expect(result).toMatchObject({ events: [{ type: 'PullRequestChanged', action: 'synchronized' }] });
  });
});

describe('events/normalizeGitHub()', () => {
  it('turns a submitted changes_requested review into a rejection', () => {
    const result = normalizeGitHub(
      { 'x-github-event': 'pull_request_review' },
      {
        action: 'submitted',
        review: { state: 'changes_requested', body: null, commit_id: 'abc', user: { login: 'sre' } },
        pull_request: { number: 3 },
        repository,
        sender: { login: 'sre' },
      },
    );
    expect(result).toEqual({
      events: [
        {
          type: 'ReviewSubmitted',
          scm: 'github',
          repo: { owner: 'acme', name: 'app', fullName: 'acme/app' },
          number: 3,
          state: 'rejected',
          reviewer: 'sre',
          commitId: 'abc',
          body: '',
        },
      ],
    });
  });

  it('marks comments by bot accounts', () => {
    const result = normalizeGitHub(
      { 'x-github-event': 'issue_comment' },
      {
        action: 'created',
        issue: { number: 4, pull_request: { url: 'https://api.github.com/repos/acme/app/pulls/4' } },
        comment: { id: 99, body: '/promote', user: { login: 'promobot[bot]', type: 'Bot' } },
        repository,
      },
    );
    expect(result).toMatchObject({ events: [{ type: 'CommentCreated', authorIsBot: true, number: 4 }] });
  });

  it('passes comments on issues on, marked as such (for /promote and /rollback)', () => {
    const result = normalizeGitHub(
      { 'x-github-event': 'issue_comment' },
      {
        action: 'created',
        issue: { number: 4 },
        comment: { id: 1, body: 'hi', user: { login: 'a' } },
        repository,
      },
    );
    expect(result).toMatchObject({ events: [{ type: 'CommentCreated', isPullRequest: false, number: 4 }] });
  });

  it('reads a push with its pusher identity', () => {
    const result = normalizeGitHub(
      { 'x-github-event': 'push' },
      {
        ref: 'refs/heads/main',
        before: '1',
        after: '2',
        commits: [{ id: '2', message: 'fix' }],
        pusher: { name: 'dev', email: 'dev@example.com' },
        repository,
      },
    );
    expect(result).toMatchObject({
      events: [{ type: 'PushReceived', pusher: 'dev', commits: [{ id: '2' }] }],
    });
  });
});

describe('events/normalizeRegistry()', () => {
  it('prefers target.tag over the URL', () => {
    expect(registryTag({ repository: 'r', tag: 'v2', url: 'http://h/v2/r/manifests/latest' })).toBe('v2');
  });

  it('takes no tag from a URL that names a digest', () => {
    expect(
      registryTag({ repository: 'r', url: `http://h/v2/r/manifests/sha256:${'c'.repeat(64)}` }),
    ).toBeUndefined();
  });

  it('takes the host from the URL when the request names an empty one (found by the route fuzzer)', () => {
    const envelope = fixtureJson<{ events: { request: { host: string } }[] }>(
      'distribution/envelope.push.event_test.json',
    );
    const [first] = envelope.events;
    first!.request.host = '';
    expect(normalizeRegistry({}, envelope)).toMatchObject({
      events: [{ registry: 'example.com', repository: 'library/test' }],
    });
  });

  it('ignores an envelope of layer pushes only', () => {
    const envelope = fixtureJson<{ events: object[] }>('distribution/envelope.push.event_test.json');
    expect(normalizeRegistry({}, { events: envelope.events.slice(1) })).toEqual({
      ignored: 'registry notification holds no tagged manifest push',
    });
  });
});
