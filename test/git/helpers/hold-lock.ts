/** Takes the repo lock, says so, and holds it until killed: a worker that dies mid-push. */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { acquireRepoLock } from '../../../src/git/index.js';
import { createLogger } from '../../../src/logger/index.js';

const { values } = parseArgs({
  options: { redis: { type: 'string' }, key: { type: 'string' }, ttl: { type: 'string' } },
});
const redis = new Redis(values.redis ?? '');
await acquireRepoLock({
  redis,
  key: values.key ?? '',
  ttlMs: Number(values.ttl ?? '500'),
  waitMs: 0,
  logger: createLogger({ level: 'silent' }),
});
process.stdout.write('held\n');
setInterval(() => undefined, 60_000);
