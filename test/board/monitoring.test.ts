import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../../src/metrics/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RULE = readFileSync(join(ROOT, 'manifests/base/prometheusrule.yaml'), 'utf8');
const DASHBOARD = readFileSync(join(ROOT, 'manifests/grafana/promobot-dashboard.json'), 'utf8');

const PrometheusRule = z.object({
  kind: z.literal('PrometheusRule'),
  spec: z.object({
    groups: z.array(
      z.object({
        name: z.string(),
        rules: z.array(
          z.object({ record: z.string().optional(), alert: z.string().optional(), expr: z.string() }).loose(),
        ),
      }),
    ),
  }),
});
/** The parts of a Grafana dashboard this one relies on. */
const Dashboard = z.object({
  title: z.string().min(1),
  uid: z.string().regex(/^[a-z0-9-]{1,40}$/),
  schemaVersion: z.number().int(),
  panels: z
    .array(
      z.object({
        id: z.number().int(),
        title: z.string().min(1),
        type: z.string(),
        gridPos: z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }),
        targets: z.array(z.object({ refId: z.string(), expr: z.string().min(1) })).min(1),
      }),
    )
    .min(1),
});

const dir = mkdtempSync(join(tmpdir(), 'promobot-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs promtool; returns its exit code and output. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const groups = PrometheusRule.parse(parse(RULE)).spec.groups;
const dashboard = Dashboard.parse(JSON.parse(DASHBOARD));
/** Dashboard queries with Grafana's variables filled in as Grafana would. */
const dashboardExprs = dashboard.panels.flatMap((p) =>
  p.targets.map((t) => t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$env', '.*')),
);

describe('manifests: alert rules and the Grafana dashboard', () => {
  it('has alert rules promtool accepts', () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
    const check = promtool('check', 'rules', 'rules.yaml');
    expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.status).toBe(0);
  });

  it('would refuse a broken rule, so the check has teeth', () => {
    writeFileSync(
      join(dir, 'broken.yaml'),
      stringify({ groups: [{ name: 'x', rules: [{ alert: 'X', expr: 'sum(' }] }] }),
    );
    expect(promtool('check', 'rules', 'broken.yaml').status).not.toBe(0);
  });

  it('fires PromobotPromotionStuck after 6 hours and 15 minutes of waiting, and PromobotGatesFailing on two failed rounds', () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
    const labels = { policy: 'chat', app: 'chat-ui', env: 'prod', status: 'awaiting-approval' };
    writeFileSync(
      join(dir, 'tests.yaml'),
      stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              // 5 h 50 min waited at the start, one more minute each minute: over 6 h from minute 10.
              {
                series:
                  'promobot_promotion_waiting_seconds{policy="chat",app="chat-ui",env="prod",status="awaiting-approval"}',
                values: '21000+60x60',
              },
              {
                series: 'promobot_gate_rounds_total{env="prod",outcome="fail"}',
                values: '0 0 0 1 2 2 2 2 2 2',
              },
            ],
            alert_rule_test: [
              { eval_time: '20m', alertname: 'PromobotPromotionStuck', exp_alerts: [] },
              {
                eval_time: '30m',
                alertname: 'PromobotPromotionStuck',
                exp_alerts: [
                  {
                    exp_labels: { ...labels, severity: 'warning' },
                    exp_annotations: {
                      summary: 'chat-ui has waited over 6 h to reach prod (awaiting-approval)',
                      description:
                        "The promotion of chat-ui (policy chat) into prod has been open for 6h 20m 0s and is awaiting-approval. The board (GET / on promobot serve) and the PR's status comment say what it waits for.",
                    },
                  },
                ],
              },
              { eval_time: '2m', alertname: 'PromobotGatesFailing', exp_alerts: [] },
              {
                eval_time: '5m',
                alertname: 'PromobotGatesFailing',
                exp_alerts: [
                  {
                    exp_labels: { env: 'prod', severity: 'warning' },
                    exp_annotations: {
                      summary: 'Gate rounds fail for promotions into prod',
                      description:
                        "2 gate rounds failed in the last 30 minutes for promotions into prod: the candidate measures worse than its thresholds where it already runs. The PR's gates comment has the evidence.",
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const run = promtool('test', 'rules', 'tests.yaml');
    expect(run.output).toMatch(/SUCCESS/);
    expect(run.status).toBe(0);
  });

  it('has a dashboard whose every query promtool parses', () => {
    writeFileSync(
      join(dir, 'dashboard-queries.yaml'),
      stringify({
        groups: [
          {
            name: 'dashboard',
            rules: dashboardExprs.map((expr, i) => ({ record: `dashboard:q${i}`, expr })),
          },
        ],
      }),
    );
    const check = promtool('check', 'rules', 'dashboard-queries.yaml');
    expect(check.output).toContain(`SUCCESS: ${dashboardExprs.length} rules found`);
    expect(check.status).toBe(0);
  });

  it('uses only metrics promobot exports', () => {
    const exported = new Set(
      createMetrics({ defaultMetrics: false })
        .registry.getMetricsAsArray()
        .map((m) => m.name),
    );
    const used = new Set(
      [...groups.flatMap((g) => g.rules.map((r) => r.expr)), ...dashboardExprs]
        .flatMap((expr) => expr.match(/\bpromobot_[a-z_]+/g) ?? [])
        .map((name) => name.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(used.size).toBeGreaterThanOrEqual(7);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('runs promtool from Debian prometheus, as .ci/deps installs it', () => {
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool, version/);
  });
});
