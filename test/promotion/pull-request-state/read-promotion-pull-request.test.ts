import { describe, expect, it } from 'vitest';
import { readPromotionPullRequest } from '../../../src/promotion/pull-request-state/index.js';
import { renderPullRequestBody } from '../../../src/promotion/index.js';
import type { PullRequest } from '../../../src/scm/types.js';

const meta = {
  v: 1 as const,
  policy: 'chat',
  app: 'chat-ui',
  env: 'prod',
  from: 'staging',
  tag: '3f9c2ab',
  previousTag: '1a2b3c4',
  kind: 'promotion' as const,
};

function pr(change: Partial<PullRequest> = {}, extra: Record<string, string> = {}): PullRequest {
  return {
    number: 7,
    state: 'open',
    merged: false,
    title: 'promote chat-ui to prod: 1a2b3c4 → 3f9c2ab',
    body: renderPullRequestBody({ meta: { ...meta, ...extra }, image: 'registry.example/chat-ui' }),
    headRef: 'promobot/prod/chat-ui',
    headSha: 'a'.repeat(40),
    baseRef: 'main',
    author: 'promobot',
    url: 'http://gitea.test/bootcamp/notes-deploy/pulls/7',
    mergeable: true,
    mergeCommitSha: null,
    ...change,
  };
}

describe('chatops/readPromotionPullRequest()', () => {
  it('recognises the bot PR on its promotion branch with a matching metadata block', () => {
    expect(readPromotionPullRequest(pr(), 'PromoBot')).toMatchObject({ meta });
  });

  it('never takes who asked for the promotion from the body, which people can edit', () => {
    expect(readPromotionPullRequest(pr({}, { requestedBy: 'alice' }), 'promobot')).not.toHaveProperty(
      'requestedBy',
    );
  });

  it('refuses a PR someone else opened, even with the branch and a copied block', () => {
    expect(readPromotionPullRequest(pr({ author: 'mallory' }), 'promobot')).toBeNull();
  });

  it('refuses a PR whose block names another app or environment than its branch', () => {
    expect(readPromotionPullRequest(pr({ headRef: 'promobot/staging/chat-ui' }), 'promobot')).toBeNull();
    expect(readPromotionPullRequest(pr({ headRef: 'promobot/prod/chat-api' }), 'promobot')).toBeNull();
  });

  it('refuses a PR off any other branch, or with no valid block', () => {
    expect(readPromotionPullRequest(pr({ headRef: 'feature/x' }), 'promobot')).toBeNull();
    expect(readPromotionPullRequest(pr({ body: 'no block' }), 'promobot')).toBeNull();
  });
});
