/**
 * A notify worker alone in its own process, so a test can SIGKILL it mid-delivery:
 * `node --import tsx test/notify/support/notify-worker-process.ts <redisUrl> <prefix>`. Prints `ready` once it
 * takes jobs. Secret references are read from its environment.
 */
import { createLogger } from '../../../src/logger/index.js';
import { createNotifyWorker } from '../../../src/notify/index.js';

const [redisUrl = '', prefix = ''] = process.argv.slice(2);
const worker = createNotifyWorker({
  redisUrl,
  prefix,
  concurrency: 1,
  logger: createLogger({ level: 'warn' }),
  retry: { baseMs: 50, maxMs: 200 },
});
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
