import { createHmac, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobData } from '../../src/queue/index.js';
import { startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { fixtureBytes, stripLineComments } from '../support/fixtures.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * Generated deliveries for every webhook route: real fixtures with one value replaced or removed, arbitrary JSON,
 * arbitrary bytes; right, wrong and missing signatures; right and wrong content types and event headers. Whatever
 * comes in, the answer is a 2xx or a precise 4xx, never a 5xx, and only a validly signed, well-formed delivery
 * enqueues anything. `PROMOBOT_FUZZ_RUNS` sets the count per route (10,000 by default).
 */
const RUNS = Number(process.env.PROMOBOT_FUZZ_RUNS ?? 10_000);
const ALLOWED = new Set([200, 202, 400, 401, 413, 415]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function fixture(path: string): Json {
  const text = fixtureBytes(path).toString('utf8');
  return JSON.parse(path.endsWith('.jsonc') ? stripLineComments(text) : text) as Json;
}

/** Every path to a value inside `value`. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries: [string | number, Json][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => paths(child, [...prefix, key]))];
}

/** `value` with the value at `path` replaced (or removed, when `replacement` is undefined). */
function mutate(value: Json, path: (string | number)[], replacement: Json | undefined): Json {
  if (path.length === 0) return replacement ?? null;
  const copy = structuredClone(value) as { [key: string]: Json };
  let node: { [key: string]: Json } = copy;
  for (const key of path.slice(0, -1)) node = node[key as string] as { [key: string]: Json };
  const last = path[path.length - 1] as string;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

/** Bodies: a mutated fixture (most), arbitrary JSON, or arbitrary bytes. */
function bodies(fixtures: Json[]): fc.Arbitrary<Buffer> {
  const mutated = fc
    .constantFrom(...fixtures)
    .chain((base) =>
      fc.tuple(
        fc.constant(base),
        fc.constantFrom(...paths(base)),
        fc.option(fc.jsonValue() as fc.Arbitrary<Json>, { nil: undefined }),
      ),
    )
    .map(([base, path, replacement]) => Buffer.from(JSON.stringify(mutate(base, path, replacement))));
  return fc.oneof(
    { weight: 6, arbitrary: mutated },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...fixtures).map((f) => Buffer.from(JSON.stringify(f)).subarray(0, 40)),
    },
  );
}

const signing = fc.constantFrom('valid', 'valid', 'valid', 'wrong', 'missing') as fc.Arbitrary<
  'valid' | 'wrong' | 'missing'
>;
const contentTypes = (right: string) =>
  fc.constantFrom(right, right, right, right, 'text/plain', 'application/x-www-form-urlencoded');

interface Route {
  name: string;
  fixtures: Json[];
  headers: (body: Buffer, sign: 'valid' | 'wrong' | 'missing') => fc.Arbitrary<Record<string, string>>;
}

const hmac = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');

const ROUTES: Route[] = [
  {
    name: 'gitea',
    fixtures: [
      'push.json',
      'pull_request.opened.json',
      'pull_request.closed_merged.json',
      'issue_comment.on_pr.created.json',
      'pull_request_review_approved.json',
    ].map((f) => fixture(`gitea/${f}`)),
    headers: (body, sign) =>
      fc
        .tuple(
          contentTypes('application/json'),
          fc.constantFrom(
            'push',
            'pull_request',
            'pull_request_sync',
            'issue_comment',
            'pull_request_comment',
            'pull_request_review_approved',
            'create',
            'x',
          ),
        )
        .map(([type, event]) => ({
          'content-type': type,
          'x-gitea-delivery': randomUUID(),
          'x-gitea-event': event,
          'x-gitea-event-type': event,
          ...(sign === 'missing'
            ? {}
            : {
                'x-gitea-signature':
                  sign === 'valid' ? hmac(TEST_SECRETS.gitea, body) : hmac('guessed', body),
              }),
        })),
  },
  {
    name: 'github',
    fixtures: ['push.json', 'pull_request.opened.json', 'issue_comment.on_pr.created.json'].map((f) =>
      fixture(`gitea/${f}`),
    ),
    headers: (body, sign) =>
      fc
        .tuple(
          contentTypes('application/json'),
          fc.constantFrom('push', 'pull_request', 'issue_comment', 'pull_request_review', 'ping', 'x'),
        )
        .map(([type, event]) => ({
          'content-type': type,
          'x-github-delivery': randomUUID(),
          'x-github-event': event,
          ...(sign === 'missing'
            ? {}
            : {
                'x-hub-signature-256': `sha256=${sign === 'valid' ? hmac(TEST_SECRETS.github, body) : hmac('guessed', body)}`,
              }),
        })),
  },
  {
    name: 'harbor',
    fixtures: [
      fixture('harbor/push_artifact.default.json'),
      // The captured push carries only a digest as its "tag": a variant with a real tag, so some are accepted.
      mutate(fixture('harbor/push_artifact.default.json'), ['event_data', 'resources', 0, 'tag'], '3f9c2ab'),
      fixture('harbor/delete_artifact.default.json'),
      fixture('harbor/push_artifact.cloudevents.jsonc'),
    ],
    headers: (_body, sign) =>
      contentTypes('application/json').map((type) => ({
        'content-type': type,
        ...(sign === 'missing'
          ? {}
          : { authorization: sign === 'valid' ? TEST_SECRETS.harbor : 'Basic Z3Vlc3M6Z3Vlc3M=' }),
      })),
  },
  {
    name: 'registry',
    fixtures: [fixture('distribution/envelope.push.event_test.json')],
    headers: (_body, sign) =>
      contentTypes('application/vnd.docker.distribution.events.v2+json').map((type) => ({
        'content-type': type,
        ...(sign === 'missing'
          ? {}
          : { authorization: sign === 'valid' ? TEST_SECRETS.registry : 'Bearer guessed' }),
      })),
  },
  {
    name: 'argocd',
    // promobot's own argocd-notifications template (webhooks/README.md): Argo CD has no fixed payload to capture.
    fixtures: [
      {
        app: 'chat-ui-staging',
        appNamespace: 'argocd',
        revision: '3f9c2ab00112233445566778899aabbccddeeff0',
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
      },
    ],
    headers: (_body, sign) =>
      contentTypes('application/json').map((type) => ({
        'content-type': type,
        ...(sign === 'missing'
          ? {}
          : { authorization: sign === 'valid' ? TEST_SECRETS.argocd : 'Bearer guessed' }),
      })),
  },
];

describe('fuzzing the webhook routes', () => {
  let redis: RedisServer;
  let app: TestApp;

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: false });
    app = await startApp({ redisUrl: redis.url, worker: false, config: { logLevel: 'silent' } });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.close();
  });

  it.each(ROUTES)(
    'POST /webhooks/$name answers every generated delivery with a 2xx or a precise 4xx, and enqueues only valid ones',
    async (route) => {
      await app.producer.queue.obliterate({ force: true });
      const accepted = new Set<string>();
      const statuses = new Map<number, number>();
      const delivery = bodies(route.fixtures).chain((body) =>
        signing.chain((sign) => route.headers(body, sign).map((headers) => ({ body, sign, headers }))),
      );
      await fc.assert(
        fc.asyncProperty(delivery, async ({ body, sign, headers }) => {
          const response = await fetch(`${app.baseUrl}/webhooks/${route.name}`, {
            method: 'POST',
            body,
            headers,
          });
          const answer = (await response.json().catch(() => ({}))) as { jobIds?: string[] };
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(ALLOWED.has(response.status), `status ${response.status}`).toBe(true);
          if (sign !== 'valid') expect(response.status).not.toBe(202);
          if (response.status === 202) for (const id of answer.jobIds ?? []) accepted.add(id);
        }),
        { numRuns: RUNS },
      );
      const jobs = await app.producer.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
      expect(new Set(jobs.map((j) => j.id))).toEqual(accepted);
      for (const job of jobs) expect(JobData.safeParse(job.data).success, `job ${job.id}`).toBe(true);
      console.log(
        `fuzz ${route.name}: ${RUNS} deliveries, answers ${JSON.stringify(Object.fromEntries(statuses))}, jobs ${jobs.length}`,
      );
    },
    600_000,
  );
});
