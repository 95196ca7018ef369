import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGiteaWorld, type GiteaWorld } from '../e2e/harness.js';

/**
 * The running service on the strict Gitea double, with a signed webhook sink for the freeze and ChatOps events:
 * a push opens a staging PR inside a day-long freeze window (frozen), mallory's /unfreeze is refused
 * (command-refused), carol's is accepted (unfrozen) and the PR merges. Each event reaches the receiver once,
 * however many reconciles see the PR frozen.
 */

const SECRET = 'freeze-sink-secret';
const TOKEN = 'sink-token-never-in-a-message';
const REPO = 'bootcamp/notes-deploy';

interface Got {
  id: string;
  kind: string;
  env: string;
  pr: number | undefined;
  text: string;
  signed: boolean;
}

describe('freeze and command events reach a policy sink', () => {
  let world: GiteaWorld;
  const got: Got[] = [];
  let close: () => Promise<void>;
  let windowEnd: number;

  beforeAll(async () => {
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const ts = String(req.headers['x-promobot-timestamp']);
        const want = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
        const parsed = JSON.parse(body) as { id: string; kind: string; env: string; pr?: number };
        got.push({
          id: String(req.headers['x-promobot-event-id']),
          kind: parsed.kind,
          env: parsed.env,
          pr: parsed.pr,
          text: body,
          signed:
            req.headers['x-promobot-signature'] === want && parsed.id === req.headers['x-promobot-event-id'],
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => new Promise<void>((r) => server.close(() => r()));
    process.env.PROMOBOT_TEST_NOTIFY_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/promobot?token=${TOKEN}`;
    process.env.PROMOBOT_TEST_NOTIFY_SECRET = SECRET;
    windowEnd = Math.ceil((Date.now() + 86_400_000) / 1000) * 1000;
    world = await startGiteaWorld({
      name: 'notify-freeze',
      policy: `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: localhost/harbor/alpine }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - name: staging
      path: '{{app}}/staging'
      update: pull-request
      from: dev
      autoMerge: true
      freeze:
        windows:
          - reason: staging change freeze
            from: '${new Date(windowEnd - 2 * 86_400_000).toISOString()}'
            to: '${new Date(windowEnd).toISOString()}'
        overrideApprovers: [carol]
    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, approvals: { required: 1 } }
  notify:
    - name: ops
      kind: webhook
      url: { env: PROMOBOT_TEST_NOTIFY_URL }
      secret: { env: PROMOBOT_TEST_NOTIFY_SECRET }
      events: [frozen, unfrozen, command-refused]
`,
      access: { carol: 'write', mallory: 'write' },
    });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    await close?.();
    delete process.env.PROMOBOT_TEST_NOTIFY_URL;
    delete process.env.PROMOBOT_TEST_NOTIFY_SECRET;
  });

  it('sends frozen once per head and window, command-refused for a refused /unfreeze, unfrozen when accepted', async () => {
    await world.push(world.promobot!.app.baseUrl, '2222222ccccccc', 1_790_000_000);
    const staging = await world.openPull('promobot/staging/alpine', '2222222ccccccc');
    const frozen = await eventually('the frozen notification', () => got.find((g) => g.kind === 'frozen'));
    expect(frozen).toMatchObject({ env: 'staging', pr: staging.index, signed: true });
    expect(frozen.text).toContain('staging change freeze');
    expect(frozen.id).toContain(`-u${String(windowEnd)}`);
    expect(frozen.id).toContain(staging.headSha.toLowerCase());

    // Every reconcile while frozen tells again (here one that /gates asks for); the receiver still sees one (below).
    await world.gitea.comment(REPO, staging.index, 'mallory', '/gates');

    await world.gitea.comment(REPO, staging.index, 'mallory', '/unfreeze');
    await world.said(staging.index, '@mallory is not in the freeze override list of staging (carol)');
    const refused = await eventually('the command-refused notification', () =>
      got.find((g) => g.kind === 'command-refused'),
    );
    expect(refused).toMatchObject({ env: 'staging', pr: staging.index, signed: true });
    expect(refused.text).toContain('/unfreeze by @mallory');
    expect(refused.text).toContain('freeze override list');
    // Another refused comment on the same head is an event of its own.
    await world.gitea.comment(REPO, staging.index, 'mallory', '/unfreeze');
    await eventually('a second command-refused', () =>
      got.filter((g) => g.kind === 'command-refused').length === 2 ? true : undefined,
    );

    // promobot/freeze is set once for the frozen head, not again by each reconcile that finds it unchanged.
    await world.idle('promobot');
    const freezeWrites = () =>
      world.gitea.statuses(REPO, staging.headSha).filter((s) => s.context === 'promobot/freeze');
    expect(freezeWrites().map((s) => s.state)).toEqual(['pending']);

    await world.gitea.comment(REPO, staging.index, 'carol', '/unfreeze');
    await world.merged(staging.index);
    const unfrozen = await eventually('the unfrozen notification', () =>
      got.find((g) => g.kind === 'unfrozen'),
    );
    expect(unfrozen).toMatchObject({ env: 'staging', pr: staging.index, signed: true });
    expect(unfrozen.text).toContain('@carol');
    await world.idle('promobot');
    // And once more when it changed: unfrozen by carol.
    expect(freezeWrites().map((s) => s.description)).toEqual([
      `frozen until ${new Date(windowEnd).toISOString().replace('.000Z', 'Z')}: staging change freeze`,
      'frozen, unfrozen by @carol',
    ]);

    expect(got.map((g) => g.kind).sort()).toEqual([
      'command-refused',
      'command-refused',
      'frozen',
      'unfrozen',
    ]);
    expect(new Set(got.map((g) => g.id)).size).toBe(got.length);
    expect(got.some((g) => g.text.includes(TOKEN) || g.text.includes(SECRET))).toBe(false);
    await world.gitea.flush();
    expect(world.gitea.violations).toEqual([]);
  }, 150_000);
});
