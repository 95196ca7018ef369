import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PromotionPolicy } from '../../src/policy/schema.js';
import { checkNotify } from '../../src/setup/check-notify.js';
import { freePort } from '../support/redis-server.js';

const policy = (notify: unknown[]) =>
  PromotionPolicy.parse({
    apiVersion: 'promobot.dev/v1alpha1',
    kind: 'PromotionPolicy',
    metadata: { name: 'chat' },
    spec: {
      deployRepo: { scm: 'gitea', repo: 'team/deploy' },
      apps: [{ name: 'chat-ui', image: 'registry.example/chat-ui' }],
      environments: [{ name: 'dev', path: '{{app}}/dev', update: 'commit' }],
      notify,
    },
  });

describe('doctor checks notification sinks without sending them anything', () => {
  it('passes a reachable sink, fails a missing secret, warns about an unreachable host', async () => {
    let bytes = 0;
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.on('data', (d: Buffer) => (bytes += d.length));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const closed = await freePort();
    const checks = await checkNotify(
      [
        policy([
          { name: 'up', kind: 'slack', url: { env: 'UP' } },
          { name: 'nosecret', kind: 'webhook', url: { env: 'UP' }, secret: { env: 'MISSING' } },
          { name: 'down', kind: 'dingtalk', url: { env: 'DOWN' } },
        ]),
      ],
      {
        UP: `http://127.0.0.1:${port}/services/T0/B0/tok3n`,
        DOWN: `http://127.0.0.1:${closed}/robot/send?access_token=tok3n`,
      },
      2000,
    );
    await new Promise<void>((r) => server.close(() => r()));
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['chat/up (slack)', 'pass'],
      ['chat/nosecret (webhook)', 'fail'],
      ['chat/down (dingtalk)', 'warn'],
    ]);
    expect(checks[1]?.detail).toContain('MISSING is not set');
    expect(connections).toBe(1);
    expect(bytes).toBe(0);
    expect(JSON.stringify(checks)).not.toContain('tok3n');
  });
});
