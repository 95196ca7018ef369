/**
 * Everything a chaos run needs around promobot, real where it can be: a redis-server with append-only persistence,
 * a deploy repo in a temp bare git repo served over HTTP by the Gitea double (which checks every API call against
 * Gitea's contract and sends Gitea's webhooks), a policy directory, and promobot itself as real processes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGiteaDouble, type GiteaDouble } from '../../doubles/gitea/index.js';
import { TEST_SECRETS } from '../../support/app.js';
import { createTempRepo, type TempRepo } from '../../support/git.js';
import { freePort, startRedis, type RedisServer } from '../../support/redis-server.js';
import { promobotProcess, type PromobotProcess, type PromobotProcessOptions } from './promobot-process.js';

export const OWNER = 'bootcamp';
export const REPO_NAME = 'notes-deploy';
export const REPO = `${OWNER}/${REPO_NAME}`;
export const REGISTRY = 'localhost';
export const PROJECT = 'harbor';
/** The tag every app runs before the run starts. */
export const SEED_TAG = '0000000aaaaaaa0000000aaaaaaa0000000aaaaa';
export const QUEUE_PREFIX = 'chaos';

export const appName = (i: number) => `app-${String(i).padStart(3, '0')}`;
export const imageOf = (app: string) => `${REGISTRY}/${PROJECT}/${app}`;
export const manifestPath = (app: string, env: string) => `${app}/${env}/deployment.yaml`;

export function manifest(app: string, env: string, tag: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${env}
spec:
  template:
    spec:
      containers:
        - name: ${app}
          image: ${imageOf(app)}:${tag}
`;
}

/** The environments of the run's policy, as the `environments:` lines of a PromotionPolicy. */
export const ENVIRONMENTS = {
  /** Only the entry environment, updated by commit: the push path alone. */
  devOnly: ["    - { name: dev, path: '{{app}}/dev', update: commit }"],
  /** dev by commit, staging by a PR the bot merges, prod by a PR waiting for one approval. */
  flow: [
    "    - { name: dev, path: '{{app}}/dev', update: commit }",
    "    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }",
    "    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, approvals: { required: 1 } }",
  ],
} as const;

export interface WorldOptions {
  apps: number;
  environments: readonly string[];
  /** Lines added to the policy's `spec` (e.g. `gates:`), indented by two spaces. */
  specExtra?: readonly string[];
}

export interface World {
  readonly redis: RedisServer;
  readonly gitea: GiteaDouble;
  readonly deploy: TempRepo;
  readonly apps: readonly string[];
  readonly envs: readonly string[];
  /** The port of the first `start` process: Gitea's webhooks go there. */
  readonly webhookPort: number;
  /** A real promobot process (not started yet); `dataName` keeps two processes' working copies apart. */
  promobot(options?: {
    command?: 'start' | 'worker';
    dataName?: string;
    port?: number;
    prometheusUrl?: string;
    env?: Record<string, string>;
  }): Promise<PromobotProcess>;
  close(): Promise<void>;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const apps = Array.from({ length: options.apps }, (_, i) => appName(i));
  const envs = options.environments.map((line) => /name: (\w+)/.exec(line)![1]!);
  const redis = await startRedis({ appendOnly: true });
  const home = mkdtempSync(join(tmpdir(), 'promobot-chaos-'));
  const policiesDir = join(home, 'policies');
  mkdirSync(policiesDir);
  writeFileSync(
    join(policiesDir, 'chaos.yaml'),
    [
      'apiVersion: promobot.dev/v1alpha1',
      'kind: PromotionPolicy',
      'metadata: { name: chaos }',
      'spec:',
      `  deployRepo: { scm: gitea, repo: ${REPO} }`,
      '  apps:',
      ...apps.map((app) => `    - { name: ${app}, image: ${imageOf(app)} }`),
      '  environments:',
      ...options.environments,
      ...(options.specExtra ?? []),
      '',
    ].join('\n'),
  );
  const files: Record<string, string> = { 'README.md': 'deploy repo\n' };
  for (const app of apps) {
    for (const env of envs) files[manifestPath(app, env)] = manifest(app, env, SEED_TAG);
  }
  const deploy = createTempRepo(files);
  const webhookPort = await freePort();
  const gitea = await startGiteaDouble({
    webhook: { url: `http://127.0.0.1:${webhookPort}/webhooks/gitea`, secret: TEST_SECRETS.gitea },
  });
  const bot = gitea.addUser('promobot');
  gitea.addUser('alice');
  await gitea.addRepo({
    owner: OWNER,
    name: REPO_NAME,
    bare: deploy.bare,
    access: { promobot: 'admin', alice: 'write' },
  });

  const processes: PromobotProcess[] = [];
  return {
    redis,
    gitea,
    deploy,
    apps,
    envs,
    webhookPort,
    async promobot(processOptions = {}) {
      const config: PromobotProcessOptions = {
        command: processOptions.command ?? 'start',
        redisUrl: redis.url,
        policiesDir,
        dataDir: join(home, 'data', processOptions.dataName ?? 'primary'),
        home,
        giteaUrl: gitea.url,
        giteaToken: bot.token,
        queuePrefix: QUEUE_PREFIX,
        ...(processOptions.port === undefined ? {} : { port: processOptions.port }),
        ...(processOptions.prometheusUrl === undefined
          ? {}
          : { prometheusUrl: processOptions.prometheusUrl }),
        ...(processOptions.env === undefined ? {} : { env: processOptions.env }),
      };
      const proc = await promobotProcess(config);
      processes.push(proc);
      return proc;
    },
    async close() {
      for (const proc of processes) await proc.kill();
      gitea.randomFaults(undefined);
      await gitea.close();
      await redis.close();
      deploy.cleanup();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
