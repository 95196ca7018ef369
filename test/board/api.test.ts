import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoardStore, startBoard, type BoardStore } from '../../src/board/index.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createHttpApp, startHttpServer } from '../../src/http/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { LOGIN_MAX_FAILURES } from '../../src/board/login-limiter.js';
import { policyWith, snapshotOf } from './fixtures.js';

const TOKEN = 'board-api-token-0123456789abcdef';
const HOSTILE = '<script>alert(1)</script>';
const policies = [policyWith('chat', ['chat-ui', 'chat-api', HOSTILE])];

interface Replica {
  url: string;
  close(): Promise<void>;
}

describe('the board API on serve', () => {
  let redis: RedisServer;
  let client: Redis;
  let store: BoardStore;
  let prefix: string;
  const replicas: Replica[] = [];

  const startReplica = async (ui: Config['ui']): Promise<Replica> => {
    const config: Config = { ...loadConfig({ REDIS_URL: redis.url, PROMOBOT_QUEUE_PREFIX: prefix }), ui };
    const logger = createLogger({ level: 'silent' });
    const board = await startBoard({ config, logger, policies: () => policies });
    const app = createHttpApp({
      config,
      logger,
      queue: { enqueue: () => Promise.reject(new Error('no queue here')), ping: () => Promise.resolve(true) },
      metrics: createMetrics({ defaultMetrics: false }),
      board: board.routes,
    });
    const server = await startHttpServer(app, 0, '127.0.0.1');
    const replica = {
      url: server.url,
      async close() {
        await board.close();
        await server.close();
      },
    };
    replicas.push(replica);
    return replica;
  };
  const tokenOnly: Config['ui'] = { tokens: [TOKEN], proxyCidrs: [], anonymous: false };
  const get = (
    replica: Replica,
    path: string,
    headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
  ) => fetch(`${replica.url}${path}`, { headers });

  beforeAll(async () => {
    redis = await startRedis();
    prefix = `b${Math.random().toString(36).slice(2, 8)}`;
    client = new Redis(redis.url);
    store = createBoardStore(client, prefix, createLogger({ level: 'silent' }));
    for (const app of ['chat-ui', 'chat-api', HOSTILE]) await store.write(snapshotOf('chat', app));
    // An app no policy names any more stays in Redis until overwritten, and is not shown.
    await store.write(snapshotOf('chat', 'retired'));
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    client?.disconnect();
    await redis?.close();
  });

  it('serves an OpenAPI 3.1 document that validates, and every answer validates against it', async () => {
    const replica = await startReplica(tokenOnly);
    const document = (await (await get(replica, '/api/v1/openapi.json')).json()) as {
      paths: Record<
        string,
        { get: { responses: Record<string, { content?: Record<string, { schema: object }> }> } }
      >;
      components: object;
    };
    const validator = new Validator();
    const checked = await validator.validate(document);
    expect(checked.errors ?? []).toEqual([]);
    expect(checked.valid).toBe(true);

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const answerOf = (template: string, status: string) => {
      const schema = document.paths[template]?.get.responses[status]?.content?.['application/json']?.schema;
      expect(schema, `${template} ${status}`).toBeDefined();
      return ajv.compile({ ...schema, components: document.components });
    };
    const cases: [string, string, string][] = [
      ['/api/v1/apps', '/api/v1/apps', '200'],
      ['/api/v1/apps', '/api/v1/apps?env=prod&policy=chat', '200'],
      ['/api/v1/apps/{policy}/{app}', '/api/v1/apps/chat/chat-ui', '200'],
      ['/api/v1/apps/{policy}/{app}', '/api/v1/apps/chat/retired', '404'],
      ['/api/v1/apps/{policy}/{app}/history', '/api/v1/apps/chat/chat-ui/history', '200'],
      ['/api/v1/apps/{policy}/{app}/promotions/{env}', '/api/v1/apps/chat/chat-ui/promotions/prod', '200'],
      ['/api/v1/apps/{policy}/{app}/promotions/{env}', '/api/v1/apps/chat/chat-ui/promotions/dev', '404'],
      ['/api/v1/environments', '/api/v1/environments', '200'],
      ['/api/v1/promotions', '/api/v1/promotions', '200'],
    ];
    for (const [template, path, status] of cases) {
      const response = await get(replica, path);
      expect(String(response.status), path).toBe(status);
      const body = (await response.json()) as unknown;
      const validate = answerOf(template, status);
      expect(validate(body), `${path}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    const unauthorized = await get(replica, '/api/v1/apps', {});
    expect(answerOf('/api/v1/apps', '401')(await unauthorized.json())).toBe(true);
  });

  it('shows only apps the policies name, with what each environment runs and the open promotions', async () => {
    const replica = await startReplica(tokenOnly);
    const apps = (await (await get(replica, '/api/v1/apps')).json()) as {
      environments: string[];
      apps: { app: string; environments: { env: string; tag: string }[]; promotions: { words: string }[] }[];
    };
    expect(apps.environments).toEqual(['dev', 'staging', 'prod']);
    expect(apps.apps.map((a) => a.app).sort()).toEqual([HOSTILE, 'chat-api', 'chat-ui'].sort());
    expect(apps.apps[0]?.promotions[0]?.words).toContain('0 of 2 approvals');
    const prodOnly = (await (await get(replica, '/api/v1/promotions?env=dev')).json()) as {
      promotions: unknown[];
    };
    expect(prodOnly.promotions).toEqual([]);
  });

  it('lets in a bearer token, a trusted proxy user, or anyone when anonymous; 401 otherwise', async () => {
    const tokens = await startReplica(tokenOnly);
    expect((await get(tokens, '/api/v1/apps', {})).status).toBe(401);
    expect((await get(tokens, '/api/v1/apps', { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await get(tokens, '/api/v1/apps', { 'x-forwarded-user': 'alice' })).status).toBe(401);
    expect((await get(tokens, '/api/v1/apps')).status).toBe(200);
    expect((await get(tokens, '/api/v1/events', {})).status).toBe(401);

    const trusted = await startReplica({ tokens: [], proxyCidrs: ['127.0.0.0/8'], anonymous: false });
    expect((await get(trusted, '/api/v1/apps', { 'x-forwarded-user': 'alice' })).status).toBe(200);
    expect((await get(trusted, '/api/v1/apps', { 'x-forwarded-email': 'alice@example.com' })).status).toBe(
      200,
    );
    expect((await get(trusted, '/api/v1/apps', {})).status).toBe(401);

    const elsewhere = await startReplica({ tokens: [], proxyCidrs: ['10.0.0.0/8'], anonymous: false });
    expect((await get(elsewhere, '/api/v1/apps', { 'x-forwarded-user': 'alice' })).status).toBe(401);

    const open = await startReplica({ tokens: [], proxyCidrs: [], anonymous: true });
    expect((await get(open, '/api/v1/apps', {})).status).toBe(200);
    expect((await get(open, '/', {})).status).toBe(200);
  });

  it('never sends a token back, in any answer', async () => {
    const replica = await startReplica(tokenOnly);
    for (const path of [
      '/',
      '/board.js',
      '/api/v1/apps',
      '/api/v1/apps/chat/chat-ui',
      '/api/v1/openapi.json',
    ]) {
      const text = await (await get(replica, path)).text();
      expect(text, path).not.toContain(TOKEN);
    }
    const login = await fetch(`${replica.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await get(replica, '/api/v1/apps', { cookie })).status).toBe(200);
  });

  it('rate-limits refused sign-ins per client: 429 with Retry-After, and the right token is refused too meanwhile', async () => {
    const replica = await startReplica(tokenOnly);
    const signIn = (token: string) =>
      fetch(`${replica.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(token)}`,
        redirect: 'manual',
      });
    for (let i = 0; i < LOGIN_MAX_FAILURES; i += 1) expect((await signIn(`guess-${i}`)).status).toBe(401);
    const limited = await signIn('one-more-guess');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await signIn(TOKEN)).status).toBe(429);
    // Another replica counts on its own.
    expect(
      (
        await fetch(`${(await startReplica(tokenOnly)).url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `token=${TOKEN}`,
          redirect: 'manual',
        })
      ).status,
    ).toBe(303);
  });

  it('streams every change the worker publishes from every replica', async () => {
    const replicasUnderTest = [await startReplica(tokenOnly), await startReplica(tokenOnly)];
    const readers = await Promise.all(
      replicasUnderTest.map(async (replica) => {
        const response = await get(replica, '/api/v1/events');
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        return response.body!.getReader();
      }),
    );
    const decoder = new TextDecoder();
    const firstEvent = async (reader: ReadableStreamDefaultReader<Uint8Array>) => {
      let text = '';
      while (!/event: board\ndata: .*\n\n/.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += decoder.decode(value);
      }
      return JSON.parse(/event: board\ndata: (.*)\n\n/.exec(text)![1]!) as unknown;
    };
    // Each stream says it is connected before anything is published, so no event can be missed.
    for (const reader of readers)
      expect(decoder.decode((await reader.read()).value)).toContain(': connected');
    const events = Promise.all(readers.map(firstEvent));
    await store.publish({ kind: 'reconcile', policy: 'chat', app: 'chat-ui', at: 1 });
    expect(await events).toEqual([
      { kind: 'reconcile', policy: 'chat', app: 'chat-ui', at: 1 },
      { kind: 'reconcile', policy: 'chat', app: 'chat-ui', at: 1 },
    ]);
    for (const reader of readers) await reader.cancel();
  });
});
