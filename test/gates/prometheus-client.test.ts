import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusClient, renderQueryTemplate, type QueryResult } from '../../src/gates/index.js';
import { freePort } from '../support/redis-server.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { chatFamilies, SITUATIONS } from './chat-history.js';

let prometheus: PrometheusServer;

beforeAll(async () => {
  prometheus = await startPrometheus({
    families: chatFamilies(SITUATIONS.filter((s) => s.namespace === 'chat-staging')),
    durationSeconds: 1800,
  });
});

afterAll(async () => {
  await prometheus?.close();
});

interface Seen {
  method: string;
  headers: IncomingMessage['headers'];
  params: URLSearchParams;
}

/** An HTTP server on loopback answering with `handle`; `seen` records each request's method, headers and params. */
async function listen(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>,
) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      seen.push({
        method: req.method ?? '',
        headers: req.headers,
        params: body ? new URLSearchParams(body) : query,
      });
      void handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An auth gateway in front of the real Prometheus: forwards only requests carrying `expected` as Authorization. */
function authProxy(expected: string) {
  return listen(async (req, res, body) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
      return;
    }
    const upstream = await fetch(`${prometheus.url}${req.url ?? ''}`, {
      method: req.method ?? 'GET',
      headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
      ...(req.method === 'POST' ? { body } : {}),
    });
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
  });
}

function data(result: QueryResult) {
  if (!result.ok) throw new Error(`expected data, got ${JSON.stringify(result.error)}`);
  return result.data;
}

describe('gates/createPrometheusClient()', () => {
  describe('query() against a real Prometheus', () => {
    it('returns an instant vector with label sets and values as text', async () => {
      const client = createPrometheusClient({ url: prometheus.url });
      const result = await client.query('sum by (model) (increase(chat_requests_total[5m]))', {
        time: prometheus.dataEnd,
      });

      const answer = data(result);
      expect(answer.resultType).toBe('vector');
      if (answer.resultType !== 'vector') return;
      expect(answer.result.map((s) => s.metric.model).sort()).toEqual(['llama-3-8b', 'qwen-2-7b']);
      expect(answer.result.map((s) => Number(s.value?.[1]))).toEqual([3000, 3000]);
      expect(answer.result[0]?.value?.[0]).toBe(prometheus.dataEnd / 1000);
      expect(result.ok && result.warnings).toEqual([]);
    });

    it('reads NaN, +Inf and -Inf as Prometheus writes them', async () => {
      const client = createPrometheusClient({ url: prometheus.url, method: 'GET' });
      const values = await Promise.all(
        ['0/0', '1/0', '-1/0', 'scalar(vector(0.25))'].map(async (expr) => {
          const answer = data(await client.query(expr, { time: prometheus.dataEnd }));
          return answer.resultType === 'scalar' ? answer.result[1] : answer.resultType;
        }),
      );

      expect(values).toEqual(['NaN', '+Inf', '-Inf', '0.25']);
    });

    it('parses string and matrix answers too', async () => {
      const client = createPrometheusClient({ url: prometheus.url });
      const text = data(await client.query('"hello"', { time: prometheus.dataEnd }));
      const matrix = data(
        await client.query('chat_requests_total{model="llama-3-8b",status="ok"}[1m]', {
          time: prometheus.dataEnd,
        }),
      );

      expect(text).toMatchObject({ resultType: 'string', result: [expect.any(Number), 'hello'] });
      expect(matrix.resultType).toBe('matrix');
      // 30 s samples over 1m: three in Prometheus 2 (both ends inclusive), two in Prometheus 3.
      if (matrix.resultType === 'matrix') expect(matrix.result[0]?.values?.length).toBeGreaterThanOrEqual(2);
    });

    it('turns a PromQL syntax error into a typed bad_data error, without throwing', async () => {
      const client = createPrometheusClient({ url: prometheus.url });
      const result = await client.query('sum(rate(x[5m])');

      expect(result).toMatchObject({
        ok: false,
        error: { kind: 'prometheus', errorType: 'bad_data', httpStatus: 400, retryable: false },
      });
    });

    it('cannot be made to run injected PromQL through a hostile namespace', async () => {
      const client = createPrometheusClient({ url: prometheus.url });
      const expr = renderQueryTemplate('count(chat_requests_total{namespace="{{fromNamespace}}"})', {
        app: 'chat-ui',
        from: 'staging',
        to: 'prod',
        namespace: 'chat-prod',
        fromNamespace: 'nowhere"}) or vector(42) or count(up{job="',
        window: '5m',
      });

      const answer = data(await client.query(expr, { time: prometheus.dataEnd }));
      expect(answer).toEqual({ resultType: 'vector', result: [] });
    });
  });

  describe('authentication and headers', () => {
    it('sends a bearer token and extra headers', async () => {
      const proxy = await authProxy('Bearer s3cret-token');
      try {
        const client = createPrometheusClient({
          url: `${proxy.url}/`,
          bearerToken: 's3cret-token',
          headers: { 'X-Scope-OrgID': 'bootcamp' },
        });
        const result = await client.query('vector(1)', { time: prometheus.dataEnd });

        expect(result.ok).toBe(true);
        expect(proxy.seen[0]?.headers['x-scope-orgid']).toBe('bootcamp');
        expect(proxy.seen[0]?.method).toBe('POST');
      } finally {
        await proxy.close();
      }
    });

    it('sends basic auth', async () => {
      const proxy = await authProxy(`Basic ${Buffer.from('promobot:pa:ss').toString('base64')}`);
      try {
        const client = createPrometheusClient({ url: proxy.url, username: 'promobot', password: 'pa:ss' });
        expect((await client.query('vector(1)')).ok).toBe(true);
      } finally {
        await proxy.close();
      }
    });

    it('reports a gateway 401 as an HTTP error with advice, never a pass', async () => {
      const proxy = await authProxy('Bearer right');
      try {
        const client = createPrometheusClient({ url: proxy.url, bearerToken: 'wrong' });
        const result = await client.query('vector(1)');

        expect(result).toMatchObject({
          ok: false,
          error: { kind: 'http', httpStatus: 401, retryable: false },
        });
        expect(!result.ok && result.error.message).toContain('PROMETHEUS_BEARER_TOKEN');
        expect(JSON.stringify(result)).not.toContain('wrong');
      } finally {
        await proxy.close();
      }
    });
  });

  describe('what a query sends', () => {
    it('sends query, time, timeout and, for Thanos, partial_response=false', async () => {
      const thanos = await listen((_req, res) => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
      });
      try {
        const client = createPrometheusClient({ url: thanos.url, partialResponse: false, timeoutMs: 2_500 });
        await client.query('up', { time: new Date('2026-01-02T03:04:05.678Z') });

        expect(Object.fromEntries(thanos.seen[0]?.params ?? [])).toEqual({
          query: 'up',
          time: '1767323045.678',
          timeout: '2.5s',
          partial_response: 'false',
        });
      } finally {
        await thanos.close();
      }
    });
  });

  describe('failures on the way', () => {
    it('reports a connection refused as a retryable network error', async () => {
      const client = createPrometheusClient({ url: `http://127.0.0.1:${await freePort()}` });
      const result = await client.query('up');

      expect(result).toMatchObject({ ok: false, error: { kind: 'network', retryable: true } });
      expect(!result.ok && result.error.message).toContain('ECONNREFUSED');
    });

    it('gives up after the timeout when nothing answers', async () => {
      const silent = await listen(() => undefined);
      try {
        const client = createPrometheusClient({ url: silent.url, timeoutMs: 200 });
        const started = Date.now();
        const result = await client.query('up');

        expect(result).toMatchObject({ ok: false, error: { kind: 'timeout', retryable: true } });
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        await silent.close();
      }
    });

    it('keeps Prometheus’s own 503 timeout error typed, and a proxy’s 502 page as an HTTP error', async () => {
      const proxy = await listen((req, res, body) => {
        const query = new URLSearchParams(body).get('query');
        if (query === 'slow') {
          res
            .writeHead(503, { 'content-type': 'application/json' })
            .end(
              '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}',
            );
        } else if (query === 'weird') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{}}');
        } else {
          res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>');
        }
      });
      try {
        const client = createPrometheusClient({ url: proxy.url });

        expect(await client.query('slow')).toMatchObject({
          ok: false,
          error: { kind: 'prometheus', errorType: 'timeout', httpStatus: 503, retryable: true },
        });
        expect(await client.query('up')).toMatchObject({
          ok: false,
          error: {
            kind: 'http',
            httpStatus: 502,
            retryable: true,
            message: expect.stringContaining('Bad Gateway'),
          },
        });
        expect(await client.query('weird')).toMatchObject({ ok: false, error: { kind: 'malformed' } });
      } finally {
        await proxy.close();
      }
    });
  });
});
