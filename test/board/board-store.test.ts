import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBoardPublisher,
  createBoardStore,
  roundPoint,
  type BoardStore,
} from '../../src/board/index.js';
import { initialGateState } from '../../src/gates/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { repoRef } from '../../src/scm/index.js';
import { createLogger } from '../../src/logger/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { snapshotOf } from './fixtures.js';

describe('board/createBoardStore()', () => {
  let redis: RedisServer;
  let client: Redis;
  let store: BoardStore;
  const prefix = `bs${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    store = createBoardStore(client, prefix, createLogger({ level: 'silent' }));
  });

  afterAll(async () => {
    client?.disconnect();
    await redis?.close();
  });

  it('keeps the snapshot collected later, and hands the replaced one to the writer that replaced it', async () => {
    const first = snapshotOf('chat', 'chat-ui', 'aaaaaaa', 1_000);
    const second = snapshotOf('chat', 'chat-ui', 'bbbbbbb', 2_000);
    expect(await store.write(first)).toEqual({ written: true, replaced: null });
    expect(await store.write(second)).toEqual({ written: true, replaced: first });
    // A slow collection that started before the stored one never replaces it.
    expect(await store.write(snapshotOf('chat', 'chat-ui', 'ccccccc', 1_500))).toEqual({
      written: false,
      replaced: null,
    });
    expect((await store.read('chat', 'chat-ui'))?.environments[0]?.tag).toBe('bbbbbbb');
  });

  it('skips what is not a snapshot of this version', async () => {
    await client.hset(`${prefix}:board:apps`, 'chat/garbage', '{"not":"a board"}', 'chat/broken', '{');
    const all = await store.readAll();
    expect(all.map((b) => b.app)).toEqual(['chat-ui']);
    expect(await store.read('chat', 'broken')).toBeNull();
  });

  it('keeps gate rounds per PR head in round order, a retried round replacing itself', async () => {
    const repo = repoRef('bootcamp/notes-deploy');
    const point = (round: number, value: number) => ({
      round,
      at: round * 1_000,
      outcome: 'pass' as const,
      gates: [
        {
          gate: 'ttft-p95',
          verdict: 'pass' as const,
          thresholds: { max: 0.8 },
          queryUrl: null,
          series: [{ name: 'all', value, baseline: null }],
        },
      ],
    });
    await store.writeRound(repo, 7, 'h1', point(2, 0.5));
    await store.writeRound(repo, 7, 'h1', point(1, 0.4));
    await store.writeRound(repo, 7, 'h1', point(2, 0.6));
    await store.writeRound(repo, 7, 'h2', point(1, 0.9));
    const rounds = await store.readRounds(repo, 7, 'h1');
    expect(rounds.map((r) => [r.round, r.gates[0]!.series[0]!.value])).toEqual([
      [1, 0.4],
      [2, 0.6],
    ]);
  });

  it('counts a retried gate round once: the round of a PR head is its id', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const publisher = createBoardPublisher({
      redis: client,
      prefix,
      logger: createLogger({ level: 'silent' }),
      policies: () => [],
      sources: () => {
        throw new Error('no app is published here');
      },
      metrics,
    });
    const target = {
      policy: 'chat',
      app: 'chat-ui',
      env: 'prod',
      repo: repoRef('bootcamp/notes-deploy'),
      pr: 9,
      headSha: 'h9',
    };
    const state = (round: number) => ({
      ...initialGateState({ interval: '1m', passes: 3, failureLimit: 2, maxInconclusive: '15m' }, 0),
      round,
    });
    const evidence = (outcome: 'pass' | 'fail') => ({
      evaluatedAt: '2026-12-07T09:00:00.000Z',
      outcome,
      reason: '',
      gates: [],
    });
    await publisher.recordRound(target, evidence('pass'), state(1));
    // The same round again (its job retried), then the next round, and round 2 of another head.
    await publisher.recordRound(target, evidence('pass'), state(1));
    await publisher.recordRound(target, evidence('fail'), state(2));
    await publisher.recordRound({ ...target, headSha: 'h10' }, evidence('fail'), state(2));
    const counted = await metrics.registry.getSingleMetricAsString('promobot_gate_rounds_total');
    expect(counted).toContain('promobot_gate_rounds_total{env="prod",outcome="pass"} 1');
    expect(counted).toContain('promobot_gate_rounds_total{env="prod",outcome="fail"} 2');
  });
});

describe('board/roundPoint()', () => {
  it('keeps finite samples as numbers, names series by their labels, and links the query when Prometheus is known', () => {
    const point = roundPoint(
      {
        evaluatedAt: '2026-12-07T09:00:00.000Z',
        outcome: 'inconclusive',
        reason: 'no data for one series',
        gates: [
          {
            gate: 'ttft-p95',
            verdict: 'inconclusive',
            reason: 'no data',
            thresholds: { maxRatio: 1.2 },
            query: 'histogram_quantile(0.95, x)',
            series: [
              {
                labels: { model: 'llama-3-8b' },
                verdict: 'pass',
                reason: '',
                value: '0.42',
                baseline: '0.40',
                traffic: null,
              },
              {
                labels: {},
                verdict: 'inconclusive',
                reason: '',
                value: 'NaN',
                baseline: '+Inf',
                traffic: null,
              },
            ],
          },
        ],
      },
      { round: 3 },
      'http://prometheus:9090',
    );
    expect(point).toMatchObject({ round: 3, at: Date.UTC(2026, 11, 7, 9), outcome: 'inconclusive' });
    expect(point.gates[0]!.series).toEqual([
      { name: 'model=llama-3-8b', value: 0.42, baseline: 0.4 },
      { name: 'all', value: null, baseline: null },
    ]);
    expect(point.gates[0]!.queryUrl).toMatch(/^http:\/\/prometheus:9090\/graph\?g0\.expr=histogram_quantile/);
    expect(roundPoint({ evaluatedAt: 'x', outcome: 'pass', reason: '', gates: [] }, { round: 1 }).at).toBe(0);
  });
});
