import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_SECRETS } from '../../support/app.js';
import { freePort } from '../../support/redis-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MAIN = join(ROOT, 'src', 'main.ts');

export interface PromobotProcessOptions {
  /** `start` serves webhooks and works jobs; `worker` only works jobs (its port serves probes). */
  command: 'start' | 'worker';
  redisUrl: string;
  policiesDir: string;
  /** Its own data directory (working copies): two processes never share one, as two pods would not. */
  dataDir: string;
  home: string;
  giteaUrl: string;
  giteaToken: string;
  prometheusUrl?: string;
  queuePrefix?: string;
  /** A port chosen beforehand (webhook senders must know it before the process exists); free one otherwise. */
  port?: number;
  /** Extra environment, e.g. `LOG_LEVEL`. */
  env?: Record<string, string>;
}

/** A real promobot process, as a deployment runs it: started, killed, started again on the same port. */
export interface PromobotProcess {
  readonly port: number;
  readonly url: string;
  /** Starts it and resolves once `/readyz` answers 200. */
  start(): Promise<void>;
  /** SIGKILL: no drain, no cleanup, like the OOM killer or a lost node. Resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the drain to finish. */
  stop(): Promise<void>;
  /** How often it was started. */
  readonly starts: number;
  /** The last lines it wrote to stderr/stdout, for a failing test's message. */
  tail(): string;
}

export async function promobotProcess(options: PromobotProcessOptions): Promise<PromobotProcess> {
  const port = options.port ?? (await freePort());
  mkdirSync(options.dataDir, { recursive: true });
  let child: ChildProcess | undefined;
  let starts = 0;
  let output = '';
  // PROMOBOT_CHAOS_LOGS=<dir> keeps every line (at info) in <dir>/promobot-<port>.log, to see where time went.
  const logDir = process.env.PROMOBOT_CHAOS_LOGS;
  if (logDir) mkdirSync(logDir, { recursive: true });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
    if (logDir) appendFileSync(join(logDir, `promobot-${port}.log`), chunk);
  };

  const exited = (proc: ChildProcess) =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const self: PromobotProcess = {
    port,
    url: `http://127.0.0.1:${port}`,
    get starts() {
      return starts;
    },
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error('already running');
      // node itself, not the tsx wrapper, so a SIGKILL reaches the service and nothing outlives the test.
      const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, options.command], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: options.home,
          REDIS_URL: options.redisUrl,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: logDir ? 'info' : 'warn',
          PROMOBOT_QUEUE_PREFIX: options.queuePrefix ?? 'chaos',
          PROMOBOT_POLICIES: options.policiesDir,
          PROMOBOT_DATA_DIR: options.dataDir,
          HARBOR_WEBHOOK_SECRET: TEST_SECRETS.harbor,
          GITEA_WEBHOOK_SECRET: TEST_SECRETS.gitea,
          PROMOBOT_STATE_KEY: TEST_SECRETS.stateKey,
          // Approvals come within a second of promobot's push here; a comment from an earlier second is still refused.
          PROMOBOT_APPROVE_AFTER_HEAD_MARGIN_MS: '0',
          GITEA_URL: options.giteaUrl,
          GITEA_TOKEN: options.giteaToken,
          GIT_AUTHOR_EMAIL: 'promobot@example.test',
          ...(options.prometheusUrl ? { PROMETHEUS_URL: options.prometheusUrl } : {}),
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
      child = proc;
      starts += 1;
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`promobot exited with ${proc.exitCode}:\n${self.tail()}`);
        const ready = await fetch(`${self.url}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) return;
        if (Date.now() > deadline) throw new Error(`promobot did not become ready:\n${self.tail()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async kill() {
      const proc = child;
      if (!proc) return;
      const gone = exited(proc);
      proc.kill('SIGKILL');
      await gone;
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      const gone = exited(proc);
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    },
    tail: () => output.split('\n').slice(-40).join('\n'),
  };
  return self;
}
