import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';
import { composeServiceEnv } from './support/compose-service-env.js';
import { loadCompose } from './support/load-compose.js';
import { REPO_ROOT } from './support/repo-root.js';
import { startProcess, type RunningProcess } from './support/start-process.js';

// node itself with tsx's loader, not the tsx wrapper: the wrapper relays signals with a 30 ms wait, and on a busy
// machine a SIGTERM then ends promobot with 143 before its drain.
const NODE_TSX = [process.execPath, '--import', 'tsx'] as const;
const MAIN = join(REPO_ROOT, 'src/main.ts');

describe('promobot configured like the compose stack', () => {
  const compose = loadCompose();
  const dir = mkdtempSync(join(tmpdir(), 'promobot-compose-serve-'));
  let redis: RedisServer;
  let serve: RunningProcess;
  let url: string;
  let env: (service: string) => Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The token gitea-init would have written to its volume.
    writeFileSync(join(dir, 'gitea-token'), 'token-from-gitea-init\n');
    env = (service) => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...composeServiceEnv(compose, service, {
        REDIS_URL: redis.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        PROMOBOT_DATA_DIR: join(dir, 'data'),
        GITEA_TOKEN_FILE: join(dir, 'gitea-token'),
        PROMOBOT_QUEUE_PREFIX: 'compose-test',
        LOG_LEVEL: 'info',
      }),
    });
    // What the image's ENTRYPOINT runs, from source: `node dist/main.js serve`.
    serve = await startProcess(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, 'serve'], {
      env: env('promobot-serve'),
      readyUrl: `${url}/readyz`,
    });
  });

  afterAll(async () => {
    await serve?.stop();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const harborPush = (authorization: string) =>
    fetch(`${url}/webhooks/harbor`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: authorization },
      body: readFileSync(join(REPO_ROOT, 'compose/examples/harbor-push.json')),
    });
  // `$(cat file)` in the README's curl drops the file's trailing newline.
  const harborSecret = () =>
    readFileSync(join(REPO_ROOT, 'compose/secrets/harbor-webhook-secret.txt'), 'utf8').trim();

  it('serves /healthz, /readyz and /metrics where the image health check and the probes look', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics'])
      expect((await fetch(`${url}${path}`)).status, path).toBe(200);
  });

  it("accepts the README's Harbor curl with 202, and the same push again as a duplicate", async () => {
    const first = await harborPush(harborSecret());
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ jobIds: [expect.any(String)], duplicate: false });
    const again = await harborPush(harborSecret());
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ duplicate: true });
  });

  it('refuses the push with 401 when the Authorization is not the compose secret', async () => {
    expect((await harborPush('Bearer guessed')).status).toBe(401);
  });

  it('starts the worker with the same configuration, and it drains and exits 0 on SIGTERM', async () => {
    // The worker serves its own probes: in compose it has its own container; here it needs its own port.
    const worker = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, 'worker'], {
      env: { ...env('promobot-worker'), PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    const deadline = Date.now() + 15_000;
    while (!output.includes('worker taking jobs') && Date.now() < deadline && worker.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(output).toContain('worker taking jobs');
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
