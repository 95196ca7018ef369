import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoardStore, renderStatus } from '../../src/board/index.js';
import { runCli } from '../../src/cli/index.js';
import { createLogger } from '../../src/logger/index.js';
import { policiesDir, testIo } from '../cli/cli-io.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { snapshotOf } from './fixtures.js';

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);
const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - { name: chat-ui, image: harbor.local/bootcamp/chat-ui }
    - { name: chat-api, image: harbor.local/bootcamp/chat-api }
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, approvals: { required: 2 } }
`;

describe('board/renderStatus()', () => {
  it('prints one line per app with each environment, and each open promotion in words', () => {
    const text = renderStatus(
      [snapshotOf('chat', 'chat-ui', '7777777eeeeeee', NOW)],
      ['dev', 'staging', 'prod'],
      NOW,
    );
    expect(text.split('\n')).toEqual([
      'APP      POLICY  DEV                      STAGING                  PROD',
      'chat-ui  chat    7777777eeeeeee (60 min)  7777777eeeeeee (30 min)  0000000aaaaaaa (24 h)',
      '  → prod: PR #12 7777777eeeeeee gating: gates round 1, 1 of 3 passes, last pass; 0 of 2 approvals',
      '',
    ]);
  });

  it('strips control characters a person could hide in a hold reason or a tag', () => {
    const board = snapshotOf('chat', 'chat-ui', 'v1\u001b[2J', NOW);
    board.promotions[0]!.words = 'held by @mallory: \u001b]8;;http://evil\u0007click\u001b]8;;\u0007';
    const text = renderStatus([board], ['dev'], NOW);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('held by @mallory: ?]8;;http://evil?click?]8;;?');
  });
});

describe('promobot status', () => {
  let redis: RedisServer;
  let client: Redis;
  const prefix = `s${Math.random().toString(36).slice(2, 8)}`;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    const store = createBoardStore(client, prefix, createLogger({ level: 'silent' }));
    await store.write(snapshotOf('chat', 'chat-ui'));
    await store.write(snapshotOf('chat', 'retired'));
    env = {
      REDIS_URL: redis.url,
      PROMOBOT_QUEUE_PREFIX: prefix,
      PROMOBOT_POLICIES: policiesDir({ 'chat.yaml': POLICY }),
    };
  });

  afterAll(async () => {
    client?.disconnect();
    await redis?.close();
  });

  it('prints the apps the policies name, from what the worker published', async () => {
    const io = testIo(env);
    expect(await runCli(['status'], io)).toBe(0);
    expect(io.out()).toMatch(/^APP +POLICY +DEV +STAGING +PROD$/m);
    expect(io.out()).toMatch(/^chat-ui +chat +7777777eeeeeee/m);
    expect(io.out()).toContain('→ prod: PR #12');
    expect(io.out()).not.toContain('retired');
  });

  it('prints one app with its history, and exits 1 for an app not on the board', async () => {
    const one = testIo(env);
    expect(await runCli(['status', 'chat-ui'], one)).toBe(0);
    expect(one.out()).toContain('History of chat-ui:');
    expect(one.out()).toMatch(/prod {2}0000000aaaaaaa {2}24 h ago, running, approved by alice/);
    const missing = testIo(env);
    expect(await runCli(['status', 'chat-api'], missing)).toBe(1);
    expect(missing.out()).toBe('No app named chat-api on the board.\n');
  });
});
