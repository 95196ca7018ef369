import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger/index.js';
import { createPolicyStore, PolicyLoadError, type PromotionPolicy } from '../../src/policy/index.js';

const policy = (image: string) => `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - { name: chat-ui, image: ${image} }
  environments:
    - { name: dev, path: chat-ui/dev, update: commit }
`;

/** A logger whose lines the test reads back. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

const imagesOf = (policies: readonly PromotionPolicy[]) =>
  policies.flatMap((p) => p.spec.apps.map((a) => a.image));

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('policy/createPolicyStore()', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promobot-store-'));
    file = join(dir, 'chat.yaml');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('load()', () => {
    it('makes the policies current', async () => {
      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui'));
      const store = createPolicyStore({ dir, logger: capturedLogger().logger });
      expect(() => store.current()).toThrow(/not loaded/);
      await store.load();
      expect(imagesOf(store.current())).toEqual(['harbor.example.com/bootcamp/chat-ui']);
    });

    it('fails start-up with every problem in the message', async () => {
      await writeFile(
        file,
        policy('harbor.example.com/bootcamp/chat-ui').replace('update: commit', 'update: push'),
      );
      await writeFile(join(dir, 'other.yaml'), 'a: !Ref b\n');
      const store = createPolicyStore({ dir, logger: capturedLogger().logger });
      const error = await store.load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyLoadError);
      expect((error as PolicyLoadError).problems).toEqual([
        `${file}:9:47 spec.environments[0].update: expected one of "commit", "pull-request", got "push"`,
        `${join(dir, 'other.yaml')}:1:4 tag !Ref is not allowed`,
      ]);
      expect((error as PolicyLoadError).policyProblems).toHaveLength(2);
    });
  });

  describe('reload()', () => {
    it('swaps in a valid edit and tells the listeners', async () => {
      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui'));
      const store = createPolicyStore({ dir, logger: capturedLogger().logger });
      await store.load();
      const seen: string[][] = [];
      store.onChange((policies) => seen.push(imagesOf(policies)));

      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui-next'));
      expect((await store.reload()).status).toBe('applied');
      expect(imagesOf(store.current())).toEqual(['harbor.example.com/bootcamp/chat-ui-next']);
      expect(seen).toEqual([['harbor.example.com/bootcamp/chat-ui-next']]);
      expect((await store.reload()).status).toBe('unchanged');
    });

    it('keeps the last good policies after a broken edit and logs every problem', async () => {
      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui'));
      const { logger, lines } = capturedLogger();
      const store = createPolicyStore({ dir, logger });
      await store.load();
      const good = store.current();

      await writeFile(
        file,
        policy('harbor.example.com/bootcamp/chat-ui').replace(
          'update: commit',
          'update: commit, autoMerge: true',
        ),
      );
      await writeFile(join(dir, 'evil.yaml'), 'a: [x]\nb:\n  c: !!js/function "f"\n');
      const result = await store.reload();

      expect(result.status).toBe('rejected');
      expect(store.current()).toBe(good);
      const warned = lines.filter((l) => l['msg'] === 'policy problem');
      expect(warned.map((l) => [l['file'], l['line'], l['column'], l['problem']])).toEqual([
        [
          file,
          9,
          55,
          'spec.environments[0].autoMerge: only applies to update: pull-request ("dev" moves by commit)',
        ],
        [join(dir, 'evil.yaml'), 3, 6, 'tag !!js/function is not allowed'],
      ]);
      expect(lines.find((l) => l['msg'] === 'policies rejected: keeping the last good set')).toMatchObject({
        level: 'error',
        problems: 2,
        keeping: 1,
      });
    });
  });

  describe('watch()', () => {
    it('applies a valid edit, keeps the good set through a broken one, and stops on abort', async () => {
      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui'));
      const { logger, lines } = capturedLogger();
      const store = createPolicyStore({ dir, logger });
      await store.load();
      const controller = new AbortController();
      store.watch({ intervalMs: 20, signal: controller.signal });

      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui-v2'));
      await until(() => imagesOf(store.current())[0] === 'harbor.example.com/bootcamp/chat-ui-v2');

      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui-v3').replace('kind:', 'knd:'));
      await until(() => lines.some((l) => l['msg'] === 'policies rejected: keeping the last good set'));
      // Several more ticks see the same broken file: it is reported once, and the good set stays.
      await new Promise((r) => setTimeout(r, 120));
      expect(lines.filter((l) => l['msg'] === 'policies rejected: keeping the last good set')).toHaveLength(
        1,
      );
      expect(imagesOf(store.current())).toEqual(['harbor.example.com/bootcamp/chat-ui-v2']);

      controller.abort();
      await new Promise((r) => setTimeout(r, 40));
      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui-v4'));
      await new Promise((r) => setTimeout(r, 120));
      expect(imagesOf(store.current())).toEqual(['harbor.example.com/bootcamp/chat-ui-v2']);
    });

    it('stops when the returned function is called', async () => {
      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui'));
      const store = createPolicyStore({ dir, logger: capturedLogger().logger });
      await store.load();
      const stop = store.watch({ intervalMs: 20 });
      stop();
      await writeFile(file, policy('harbor.example.com/bootcamp/chat-ui-v2'));
      await new Promise((r) => setTimeout(r, 100));
      expect(imagesOf(store.current())).toEqual(['harbor.example.com/bootcamp/chat-ui']);
    });
  });
});
