import { describe, expect, it } from 'vitest';
import { decideHookChange, type ExistingHook, type WantedHook } from '../../src/setup/index.js';

const wanted: WantedHook = {
  host: 'gitea',
  target: 'bootcamp/notes-deploy',
  url: 'https://promobot.example.com/webhooks/gitea',
  events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
  secret: 's3cret',
  settings: { content_type: 'json' },
};
const hook = (over: Partial<ExistingHook>): ExistingHook => ({
  id: 1,
  url: wanted.url,
  active: true,
  events: [...wanted.events],
  settings: { content_type: 'json' },
  ...over,
});

describe('setup/decideHookChange()', () => {
  it('creates a hook when none is at the URL, whatever other hooks exist', () => {
    expect(decideHookChange([hook({ url: 'https://ci.example.com/hook' })], wanted)).toEqual({
      action: 'create',
    });
  });

  it('keeps a matching hook, also one whose URL ends in a slash', () => {
    expect(decideHookChange([hook({ id: 7, url: `${wanted.url}/` })], wanted)).toEqual({
      action: 'keep',
      id: 7,
    });
  });

  it("counts Gitea's finer review events as pull_request_review", () => {
    const events = ['push', 'pull_request', 'issue_comment', 'pull_request_review_approved'];
    expect(decideHookChange([hook({ events })], wanted)).toMatchObject({ action: 'keep' });
  });

  it('updates an inactive hook with a form content type, naming both differences', () => {
    expect(decideHookChange([hook({ active: false, settings: { content_type: 'form' } })], wanted)).toEqual({
      action: 'update',
      id: 1,
      differences: ['inactive', 'content_type is form, not json'],
    });
  });

  it('does not compare a setting the host hides', () => {
    expect(decideHookChange([hook({ settings: {} })], wanted)).toMatchObject({ action: 'keep' });
  });

  it('of two hooks at the URL, keeps the one that matches instead of repairing the other', () => {
    const hooks = [hook({ id: 1, active: false }), hook({ id: 2 })];
    expect(decideHookChange(hooks, wanted)).toEqual({ action: 'keep', id: 2 });
  });
});
