// A stand-in for the chat service's metrics, so promobot's gates have data in the compose stack.
// Plain Node, no dependencies: it simulates requests to two models in chat-dev, chat-staging and chat-prod and
// serves them in the Prometheus text format on :9464/metrics.
//
//   PORT                  listen port (9464)
//   TICK_MS               simulation step in milliseconds (1000)
//   REQUESTS_PER_SECOND   mean requests per second per namespace and model (4)
//   DEGRADED_NAMESPACES   comma-separated namespaces that start slow and failing (none)
//
// Flip a namespace at run time to watch a gate fail or recover:
//   curl -X POST 'http://localhost:9464/profile?namespace=chat-staging&profile=degraded'
//   curl -X POST 'http://localhost:9464/profile?namespace=chat-staging&profile=healthy'
import { createServer } from 'node:http';
import process from 'node:process';
import { setInterval, clearInterval } from 'node:timers';
import { URL } from 'node:url';

const NAMESPACES = ['chat-dev', 'chat-staging', 'chat-prod'];
const MODELS = ['llama-3.1-8b-instruct', 'qwen2.5-7b-instruct'];
const BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];

// Median first-token latency (seconds), spread of its log-normal distribution, share of failed requests.
// Healthy: p95 ≈ 1.3 s and 0.2 % errors, inside the gates (2 s, 1 %). Degraded: p95 ≈ 4 s and 5 % errors.
const PROFILES = {
  healthy: { median: 0.6, sigma: 0.45, errorRate: 0.002 },
  degraded: { median: 1.8, sigma: 0.5, errorRate: 0.05 },
};

function readConfig(env) {
  const degraded = new Set(
    (env.DEGRADED_NAMESPACES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return {
    port: Number(env.PORT ?? 9464),
    tickMs: Number(env.TICK_MS ?? 1000),
    requestsPerSecond: Number(env.REQUESTS_PER_SECOND ?? 4),
    profiles: new Map(NAMESPACES.map((ns) => [ns, degraded.has(ns) ? 'degraded' : 'healthy'])),
  };
}

function createSeries() {
  const series = new Map();
  for (const namespace of NAMESPACES) {
    for (const model of MODELS) {
      series.set(`${namespace}\u0000${model}`, {
        namespace,
        model,
        buckets: BUCKETS.map(() => 0),
        count: 0,
        sum: 0,
        ok: 0,
        error: 0,
      });
    }
  }
  return series;
}

/** A standard normal sample (Box–Muller). */
function normal() {
  const u = 1 - Math.random();
  const v = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Knuth's Poisson sampler: request counts per step vary like real traffic. */
function poisson(mean) {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k += 1;
    p *= Math.random();
  } while (p > limit);
  return k - 1;
}

function simulateStep(series, config) {
  const seconds = config.tickMs / 1000;
  for (const s of series.values()) {
    const profile = PROFILES[config.profiles.get(s.namespace) ?? 'healthy'];
    const requests = poisson(config.requestsPerSecond * seconds);
    for (let i = 0; i < requests; i += 1) {
      if (Math.random() < profile.errorRate) {
        s.error += 1;
        continue;
      }
      s.ok += 1;
      const latency = profile.median * Math.exp(profile.sigma * normal());
      s.count += 1;
      s.sum += latency;
      BUCKETS.forEach((le, index) => {
        if (latency <= le) s.buckets[index] += 1;
      });
    }
  }
}

function render(series) {
  const lines = [
    '# HELP chat_first_token_latency_seconds Time from request to the first streamed token.',
    '# TYPE chat_first_token_latency_seconds histogram',
  ];
  for (const s of series.values()) {
    const labels = `namespace="${s.namespace}",model="${s.model}"`;
    BUCKETS.forEach((le, index) => {
      lines.push(`chat_first_token_latency_seconds_bucket{${labels},le="${le}"} ${s.buckets[index]}`);
    });
    lines.push(`chat_first_token_latency_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
    lines.push(`chat_first_token_latency_seconds_sum{${labels}} ${s.sum.toFixed(6)}`);
    lines.push(`chat_first_token_latency_seconds_count{${labels}} ${s.count}`);
  }
  lines.push('# HELP chat_requests_total Chat completion requests by outcome.');
  lines.push('# TYPE chat_requests_total counter');
  for (const s of series.values()) {
    const labels = `namespace="${s.namespace}",model="${s.model}"`;
    lines.push(`chat_requests_total{${labels},status="ok"} ${s.ok}`);
    // Like a client library's lazily created label set: no error series until the first error.
    if (s.error > 0) lines.push(`chat_requests_total{${labels},status="error"} ${s.error}`);
  }
  return `${lines.join('\n')}\n`;
}

function main() {
  const config = readConfig(process.env);
  const series = createSeries();
  const timer = setInterval(() => simulateStep(series, config), config.tickMs);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(render(series));
    } else if (req.method === 'GET' && url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (req.method === 'POST' && url.pathname === '/profile') {
      const namespace = url.searchParams.get('namespace') ?? '';
      const profile = url.searchParams.get('profile') ?? '';
      if (!config.profiles.has(namespace) || !(profile in PROFILES)) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`namespace is one of ${NAMESPACES.join(', ')}; profile is healthy or degraded\n`);
        return;
      }
      config.profiles.set(namespace, profile);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${namespace} is now ${profile}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });

  server.listen(config.port, () => {
    process.stdout.write(`llm-metrics: serving /metrics on :${config.port}\n`);
  });
  const stop = () => {
    clearInterval(timer);
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
