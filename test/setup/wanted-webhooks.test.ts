import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { PromotionPolicy } from '../../src/policy/index.js';
import { harborProject, wantedWebhooks } from '../../src/setup/index.js';

const policy = (name: string, scm: string, repo: string, images: string[]) =>
  PromotionPolicy.parse(
    parse(`
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: ${name} }
spec:
  deployRepo: { scm: ${scm}, repo: ${repo} }
  apps: [${images.map((image, i) => `{ name: app-${name}-${i}, image: ${image} }`).join(', ')}]
  environments: [{ name: dev, path: dev, update: commit }]
`),
  );

const base = {
  PROMOBOT_PUBLIC_URL: 'https://promobot.example.com/',
  GITEA_URL: 'https://gitea.example.com',
  GITEA_TOKEN: 't',
  GITEA_WEBHOOK_SECRET: 'new,old',
  GITHUB_WEBHOOK_SECRET: 'gh',
  HARBOR_URL: 'https://harbor.example.com',
  HARBOR_WEBHOOK_SECRET: 'Bearer h',
};

describe('setup/wantedWebhooks()', () => {
  it('wants one hook per deploy repo and per Harbor project, each once, at the public URL', () => {
    const { wanted, problems } = wantedWebhooks(loadConfig(base), [
      policy('a', 'gitea', 'bootcamp/notes-deploy', [
        'harbor.example.com/bootcamp/chat-ui',
        'harbor.example.com/bootcamp/api',
      ]),
      policy('b', 'gitea', 'Bootcamp/notes-deploy', ['harbor.example.com/other/x']),
      policy('c', 'github', 'acme/deploy', ['harbor.example.com/bootcamp/web']),
    ]);
    expect(problems).toEqual([]);
    expect(wanted.map((w) => `${w.host} ${w.target} ${w.url} ${w.secret}`)).toEqual([
      'gitea bootcamp/notes-deploy https://promobot.example.com/webhooks/gitea new',
      'github acme/deploy https://promobot.example.com/webhooks/github gh',
      'harbor bootcamp https://promobot.example.com/webhooks/harbor Bearer h',
      'harbor other https://promobot.example.com/webhooks/harbor Bearer h',
    ]);
    expect(wanted[0]?.events).toEqual(['push', 'pull_request', 'issue_comment', 'pull_request_review']);
    expect(wanted[2]?.events).toEqual(['PUSH_ARTIFACT']);
  });

  it('wants no Harbor policy when HARBOR_URL is not set', () => {
    const { wanted } = wantedWebhooks(loadConfig({ ...base, HARBOR_URL: '' }), [
      policy('a', 'gitea', 'bootcamp/notes-deploy', ['harbor.example.com/bootcamp/chat-ui']),
    ]);
    expect(wanted.map((w) => w.host)).toEqual(['gitea']);
  });

  it('names the missing public URL and the missing secret with their fixes', () => {
    const policies = [policy('a', 'github', 'acme/deploy', ['harbor.example.com/bootcamp/chat-ui'])];
    expect(
      wantedWebhooks(loadConfig({ ...base, PROMOBOT_PUBLIC_URL: '' }), policies).problems[0],
    ).toMatchObject({
      host: 'github',
      message: expect.stringContaining('PROMOBOT_PUBLIC_URL is not set'),
      fix: expect.stringContaining('set PROMOBOT_PUBLIC_URL'),
    });
    expect(
      wantedWebhooks(loadConfig({ ...base, GITHUB_WEBHOOK_SECRET: '' }), policies).problems[0],
    ).toMatchObject({
      message: 'GITHUB_WEBHOOK_SECRET is not set, so promobot would refuse every delivery',
    });
  });
});

describe('setup/harborProject()', () => {
  it('is the first path segment after the registry', () => {
    expect(harborProject('harbor.example.com/bootcamp/chat-ui')).toBe('bootcamp');
    expect(harborProject('harbor.example.com:8443/team/sub/app')).toBe('team');
    expect(harborProject('chat-ui')).toBeUndefined();
  });
});
