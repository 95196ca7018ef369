import { describe, expect, it } from 'vitest';
import {
  parsePromotionBranch,
  parsePromotionMeta,
  promotionBranch,
  type PromotionMeta,
} from '../../src/promotion/promotion-meta.js';
import {
  renderCommitSubject,
  renderPullRequestBody,
  renderPullRequestTitle,
} from '../../src/promotion/render-pull-request.js';

const meta: PromotionMeta = {
  v: 1,
  policy: 'chat',
  app: 'chat-ui',
  env: 'prod',
  from: 'staging',
  tag: '3f9c2ab5e0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5',
  previousTag: '1a2b3c4',
  kind: 'promotion',
};

describe('promotion/promotion-meta', () => {
  it('round-trips the hidden block through a rendered PR body', () => {
    const body = renderPullRequestBody({ meta, image: 'harbor.example.com/bootcamp/chat-ui' });
    expect(parsePromotionMeta(body)).toEqual(meta);
    expect(body).toContain(
      '| chat-ui | prod | `1a2b3c4` | `3f9c2ab5e0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5` | staging |',
    );
  });

  it('cannot be broken out of by a value holding -->', () => {
    const body = renderPullRequestBody({ meta: { ...meta, policy: 'x-->y' }, image: 'r/a' });
    expect(body.match(/-->/g)).toHaveLength(1);
    expect(parsePromotionMeta(body)?.policy).toBe('x-->y');
  });

  it('reads a tampered or foreign body as no metadata', () => {
    expect(parsePromotionMeta('hello')).toBeNull();
    expect(parsePromotionMeta('<!-- promobot:meta {"v":2} -->')).toBeNull();
    expect(parsePromotionMeta('<!-- promobot:meta {not json} -->')).toBeNull();
  });

  it('names the branch per environment and app, and parses it back', () => {
    expect(promotionBranch('prod', 'chat-ui')).toBe('promobot/prod/chat-ui');
    expect(parsePromotionBranch('promobot/prod/chat-ui')).toEqual({
      env: 'prod',
      app: 'chat-ui',
      kind: 'promotion',
    });
    expect(parsePromotionBranch('promobot/rollback/prod/chat-ui')).toEqual({
      env: 'prod',
      app: 'chat-ui',
      kind: 'rollback',
    });
    expect(parsePromotionBranch('feature/x')).toBeNull();
  });

  it('titles the PR with short tags', () => {
    expect(renderPullRequestTitle(meta)).toBe('promote chat-ui to prod: 1a2b3c4 → 3f9c2ab');
  });

  it('fills the commit subject template on one line', () => {
    const subject = renderCommitSubject('promote({{app}}): {{env}} {{fromShort}} → {{toShort}}', {
      app: 'chat-ui',
      env: 'dev',
      from: '1a2b3c4d5e6f',
      to: '3f9c2ab\nInjected: trailer',
    });
    expect(subject).toBe('promote(chat-ui): dev 1a2b3c4 → 3f9c2ab Injected: trailer');
  });
});
