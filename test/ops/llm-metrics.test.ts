import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicies } from '../../src/policy/load-policies.js';
import { freePort } from '../support/redis-server.js';
import { promtool } from './support/promtool.js';
import { REPO_ROOT } from './support/repo-root.js';
import { startProcess, type RunningProcess } from './support/start-process.js';

const GENERATOR = join(REPO_ROOT, 'compose/llm-metrics/server.mjs');

describe('compose/prometheus/prometheus.yml', () => {
  it('passes promtool check config', () => {
    const result = promtool(['check', 'config', join(REPO_ROOT, 'compose/prometheus/prometheus.yml')]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});

describe('compose/llm-metrics', () => {
  let generator: RunningProcess;
  let prometheus: RunningProcess;
  let generatorUrl: string;
  let prometheusUrl: string;
  const dir = mkdtempSync(join(tmpdir(), 'promobot-llm-metrics-'));

  beforeAll(async () => {
    const port = await freePort();
    generatorUrl = `http://127.0.0.1:${port}`;
    // Many small steps of heavy traffic: rates settle within seconds, so the gate verdicts are not luck.
    generator = await startProcess('node', [GENERATOR], {
      env: {
        ...process.env,
        PORT: String(port),
        TICK_MS: '50',
        REQUESTS_PER_SECOND: '400',
        DEGRADED_NAMESPACES: 'chat-dev',
      },
      readyUrl: `${generatorUrl}/healthz`,
    });

    const promPort = await freePort();
    prometheusUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: chat\n    static_configs: [{ targets: ['127.0.0.1:${port}'] }]\n`,
    );
    prometheus = await startProcess(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { readyUrl: `${prometheusUrl}/-/ready` },
    );
  });

  afterAll(async () => {
    await prometheus?.stop();
    await generator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves metrics that promtool check metrics accepts', async () => {
    const text = await (await fetch(`${generatorUrl}/metrics`)).text();
    const result = promtool(['check', 'metrics'], text);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('serves both chat metrics for dev, staging and prod and two models', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = await (await fetch(`${generatorUrl}/metrics`)).text();
    const labelSets = new Set(
      [
        ...text.matchAll(/^chat_requests_total\{namespace="([^"]+)",model="([^"]+)",status="ok"\} [1-9]/gm),
      ].map((m) => `${m[1]}/${m[2]}`),
    );
    expect(labelSets.size).toBe(6);
    expect([...labelSets].map((s) => s.split('/')[0])).toEqual(
      expect.arrayContaining(['chat-dev', 'chat-staging', 'chat-prod']),
    );
    expect(text).toMatch(
      /^chat_first_token_latency_seconds_bucket\{namespace="chat-prod",model="[^"]+",le="\+Inf"\} [1-9]/m,
    );
    expect(text).toMatch(/^chat_requests_total\{namespace="chat-dev",model="[^"]+",status="error"\} [1-9]/m);
  });

  it('switches a namespace between healthy and degraded, and refuses an unknown one', async () => {
    const flip = (query: string) => fetch(`${generatorUrl}/profile?${query}`, { method: 'POST' });
    expect((await flip('namespace=chat-prod&profile=degraded')).status).toBe(200);
    expect((await flip('namespace=chat-prod&profile=healthy')).status).toBe(200);
    expect((await flip('namespace=chat-qa&profile=degraded')).status).toBe(400);
    expect((await flip('namespace=chat-prod&profile=broken')).status).toBe(400);
  });

  it("gives the compose policy's gates data: healthy staging passes them, degraded dev fails them", async () => {
    const { policies } = await loadPolicies(join(REPO_ROOT, 'compose/policies'));
    const spec = policies[0]?.spec;
    const gate = (name: string) => spec?.gates.find((g) => g.name === name);
    const query = async (promql: string, from: string): Promise<number[]> => {
      const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql.replaceAll('{{from}}', from))}`;
      const body = (await (await fetch(url)).json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result.map((r) => Number(r.value[1]));
    };
    // rate() needs two scrapes of each series; wait until the slowest query has an answer for both models.
    const deadline = Date.now() + 20_000;
    while ((await query(gate('error-rate')?.query ?? '', 'staging')).length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const ttft = gate('ttft-p95');
    const errors = gate('error-rate');
    const staging = {
      ttft: await query(ttft?.query ?? '', 'staging'),
      errors: await query(errors?.query ?? '', 'staging'),
    };
    const dev = {
      ttft: await query(ttft?.query ?? '', 'dev'),
      errors: await query(errors?.query ?? '', 'dev'),
    };
    const traffic = await query(spec?.traffic?.query ?? '', 'staging');

    expect(staging.ttft).toHaveLength(2);
    for (const v of staging.ttft) expect(v).toBeLessThanOrEqual(ttft?.max ?? 0);
    for (const v of staging.errors) expect(v).toBeLessThanOrEqual(errors?.max ?? 0);
    for (const v of dev.ttft) expect(v).toBeGreaterThan(ttft?.max ?? Infinity);
    for (const v of dev.errors) expect(v).toBeGreaterThan(errors?.max ?? Infinity);
    for (const v of traffic) expect(v).toBeGreaterThanOrEqual(spec?.traffic?.min ?? Infinity);
  });
});
