import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addRequester,
  emptyPromotionState,
  type PromotionState,
} from '../../src/promotion/pull-request-state/index.js';
import { createLogger } from '../../src/logger/index.js';
import {
  createPendingRequesters,
  settleRequesters,
  type PendingRequesters,
} from '../../src/promotion/requesters.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const logger = createLogger({ level: 'silent' });

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

type Step = 'list' | 'record' | 'remove';

/** The pending set on a real Redis, and a PR state that `record` writes, each step failing once when told. */
function world(prefix: string, failing: Step | null) {
  const real = createPendingRequesters(redis, prefix);
  let armed = failing;
  const trip = (step: Step) => {
    if (armed === step) {
      armed = null;
      throw new Error(`injected failure at ${step}`);
    }
  };
  const pending: PendingRequesters = {
    add: real.add,
    list: async (...args) => {
      trip('list');
      return real.list(...args);
    },
    remove: async (...args) => {
      trip('remove');
      return real.remove(...args);
    },
  };
  let state: PromotionState = emptyPromotionState();
  const record = (actor: string) => {
    trip('record');
    state = addRequester(state, { by: actor, at: '2026-12-07T05:00:00Z', via: 'promote' });
    return Promise.resolve(true);
  };
  const settle = () =>
    settleRequesters({
      pending,
      policy: 'chat',
      app: 'chat-ui',
      kind: 'promotion',
      env: 'prod',
      record,
      logger,
    });
  return { real, settle, state: () => state };
}

describe('promotion/settleRequesters()', () => {
  it.each<Step>(['list', 'record', 'remove'])(
    'keeps the requester when the %s step fails once, and records it once on the retry',
    async (step) => {
      const w = world(`fail-${step}`, step);
      await w.real.add('chat', 'chat-ui', 'promotion', 'prod', 'release-lead');
      await expect(w.settle()).rejects.toThrow(`injected failure at ${step}`);
      // Whatever failed, the requester is still somewhere only promobot writes: waiting, or on the PR.
      const waiting = await w.real.list('chat', 'chat-ui', 'promotion', 'prod');
      const recorded = w.state().requesters.map((r) => r.by);
      expect([...waiting, ...recorded]).toContain('release-lead');
      await w.settle();
      expect(w.state().requesters.map((r) => r.by)).toEqual(['release-lead']);
      expect(await w.real.list('chat', 'chat-ui', 'promotion', 'prod')).toEqual([]);
    },
  );

  it('leaves a requester waiting while the PR cannot take it', async () => {
    const real = createPendingRequesters(redis, 'refused');
    await real.add('chat', 'chat-ui', 'rollback', 'prod', 'alice');
    await settleRequesters({
      pending: real,
      policy: 'chat',
      app: 'chat-ui',
      kind: 'rollback',
      env: 'prod',
      record: () => Promise.resolve(false),
      logger,
    });
    expect(await real.list('chat', 'chat-ui', 'rollback', 'prod')).toEqual(['alice']);
  });
});

describe('requesters waiting in the format before the per-environment sets', () => {
  it('are read once on upgrade, moved into the set, and recorded on the PR like any other', async () => {
    const prefix = 'upgrade';
    // As the earlier version wrote them: one hash per policy and app, the environment naming the requester.
    await redis.hset(`${prefix}:requested:chat:chat-ui`, 'prod', 'alice', 'staging', 'bob');
    const pending = createPendingRequesters(redis, prefix);
    expect(await pending.list('chat', 'chat-ui', 'rollback', 'prod')).toEqual([]);
    expect(await pending.list('chat', 'chat-ui', 'promotion', 'prod')).toEqual(['alice']);
    // Moved, not copied: the hash keeps only what was not asked for yet.
    expect(await redis.hgetall(`${prefix}:requested:chat:chat-ui`)).toEqual({ staging: 'bob' });
    expect(await redis.smembers(`${prefix}:requested:chat:chat-ui:promotion:prod`)).toEqual(['alice']);
    // A new request meanwhile joins it; nothing is read twice.
    await pending.add('chat', 'chat-ui', 'promotion', 'prod', 'carol');
    expect(await pending.list('chat', 'chat-ui', 'promotion', 'prod')).toEqual(['alice', 'carol']);

    let state: PromotionState = emptyPromotionState();
    await settleRequesters({
      pending,
      policy: 'chat',
      app: 'chat-ui',
      kind: 'promotion',
      env: 'staging',
      record: (actor) => {
        state = addRequester(state, { by: actor, at: '2026-12-07T09:00:00Z', via: 'promote' });
        return Promise.resolve(true);
      },
      logger,
    });
    expect(state.requesters.map((r) => r.by)).toEqual(['bob']);
    expect(await redis.exists(`${prefix}:requested:chat:chat-ui`)).toBe(0);
    expect(await pending.list('chat', 'chat-ui', 'promotion', 'staging')).toEqual([]);
  });
});
