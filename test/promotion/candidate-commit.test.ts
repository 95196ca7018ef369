import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCommitMessage } from '../../src/git/index.js';
import { PromotionPolicy } from '../../src/policy/index.js';
import {
  commitForChanges,
  environmentChange,
  promotionCandidate,
  refusePush,
  rollbackCandidate,
} from '../../src/promotion/candidate-commit.js';

const IMAGE = 'harbor.example.com/bootcamp/chat-ui';
const OLD = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const NEW = '3f9c2ab5e0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5';
const DIGEST = `sha256:${'e'.repeat(64)}`;

const policy = PromotionPolicy.parse({
  apiVersion: 'promobot.dev/v1alpha1',
  kind: 'PromotionPolicy',
  metadata: { name: 'chat' },
  spec: {
    deployRepo: { scm: 'gitea', repo: 'bootcamp/notes-deploy' },
    apps: [{ name: 'chat-ui', image: IMAGE, pinDigest: true, helmTagPaths: ['image.tag'] }],
    environments: [
      { name: 'dev', path: '{{app}}/{{env}}', update: 'commit' },
      { name: 'prod', path: 'envs/{{env}}/{{app}}', update: 'pull-request', from: 'dev' },
    ],
  },
});
const [app] = policy.spec.apps;
const [dev] = policy.spec.environments;

/** The message git is given, as the deploy repo builds it from a subject and trailers. */
const message = (spec: { message: string; trailers?: Record<string, string> }) =>
  formatCommitMessage(spec.message, '', spec.trailers ?? {});

describe('promotion/candidate commit', () => {
  it('builds the entry environment commit of a push, byte for byte', () => {
    const change = environmentChange(policy, app!, dev!, {
      tag: NEW,
      digest: DIGEST,
      event: 'harbor:delivery-1',
      occurredAt: '2026-11-21T10:00:00Z',
    });
    expect(change).toEqual({
      policy: 'chat',
      app: 'chat-ui',
      env: 'dev',
      path: 'chat-ui/dev',
      image: IMAGE,
      tag: NEW,
      digest: DIGEST,
      pinDigest: true,
      helmTagPaths: ['image.tag'],
      event: 'harbor:delivery-1',
      occurredAt: '2026-11-21T10:00:00Z',
    });
    const commits = commitForChanges(
      [
        { change, previousTag: OLD, files: ['chat-ui/dev/deployment.yaml'] },
        { change: { ...change, env: 'qa' }, previousTag: OLD, files: [] },
      ],
      policy.spec.commit.message,
    );
    expect(commits.map((c) => c.paths)).toEqual([['chat-ui/dev/deployment.yaml']]);
    expect(message(commits[0]!)).toBe(
      [
        'promote(chat-ui): dev 1a2b3c4 → 3f9c2ab',
        '',
        'Promobot-App: chat-ui',
        'Promobot-Environment: dev',
        `Promobot-Tag: ${NEW}`,
        `Promobot-Digest: ${DIGEST}`,
        'Promobot-Event: harbor:delivery-1',
        '',
      ].join('\n'),
    );
  });

  it('builds the promotion PR commit, byte for byte, with and without a digest', () => {
    const candidate = promotionCandidate(
      app!,
      { env: 'prod', tag: NEW, digest: DIGEST, from: 'dev', previousTag: OLD },
      policy.spec.commit.message,
    );
    expect(candidate.change).toEqual({
      app: 'chat-ui',
      image: IMAGE,
      tag: NEW,
      digest: DIGEST,
      pinDigest: true,
      helmTagPaths: ['image.tag'],
    });
    expect(message(candidate)).toBe(
      [
        'promote(chat-ui): prod 1a2b3c4 → 3f9c2ab',
        '',
        'Promobot-App: chat-ui',
        'Promobot-Environment: prod',
        `Promobot-Tag: ${NEW}`,
        `Promobot-Digest: ${DIGEST}`,
        'Promobot-From: dev',
        '',
      ].join('\n'),
    );
    const plain = promotionCandidate(
      app!,
      { env: 'prod', tag: 'v1.2.3', previousTag: null },
      'deploy {{app}} {{to}} to {{env}} (was {{from}})',
    );
    expect(message(plain)).toBe(
      [
        'deploy chat-ui v1.2.3 to prod (was ∅)',
        '',
        'Promobot-App: chat-ui',
        'Promobot-Environment: prod',
        'Promobot-Tag: v1.2.3',
        '',
      ].join('\n'),
    );
  });

  it('builds the rollback PR commit, byte for byte, never pinning a digest', () => {
    const candidate = rollbackCandidate(app!, 'prod', NEW, OLD);
    expect(candidate.change).toEqual({
      app: 'chat-ui',
      image: IMAGE,
      tag: OLD,
      pinDigest: false,
      helmTagPaths: ['image.tag'],
    });
    expect(message(candidate)).toBe(
      [
        'rollback(chat-ui): prod 3f9c2ab → 1a2b3c4',
        '',
        'Promobot-App: chat-ui',
        'Promobot-Environment: prod',
        `Promobot-Tag: ${OLD}`,
        'Promobot-Rollback: true',
        '',
      ].join('\n'),
    );
  });

  it('refuses a push by the tag rules and a malformed digest, and lets a good one through', () => {
    expect(refusePush(app!.tags, NEW, DIGEST)).toBeNull();
    expect(refusePush(app!.tags, 'latest', undefined)).toMatch(/"latest" is never written/);
    expect(refusePush(app!.tags, NEW, 'sha256:abc\nx')).toBe(
      `the digest ${JSON.stringify('sha256:abc\nx')} is malformed`,
    );
  });

  it('spells no trailer name in src/ outside git/trailers.ts', () => {
    const root = join(__dirname, '../../src');
    const files = (readdirSync(root, { recursive: true }) as string[])
      .filter((path) => path.endsWith('.ts'))
      .map((path) => join(root, path));
    const offenders = files
      .filter((file) => relative(root, file) !== join('git', 'trailers.ts'))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(root, file)}:${i + 1}` }))
          // A name in quotes or a template is a literal; in a comment it is prose.
          .filter(({ line }) => !/^\s*(\*|\/\/|\/\*)/.test(line) && /['"`]Promobot-[A-Za-z]/.test(line))
          .map(({ at }) => at),
      );
    expect(files.length).toBeGreaterThan(100);
    expect(offenders).toEqual([]);
  });
});
