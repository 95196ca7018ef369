import { errorMessage } from '../errors/index.js';
import { connectRedis } from '../redis/connection.js';
import type { DoctorCheck } from '../hosts/ports/doctor-check.js';

/** A Redis URL without its password, for output. */
function shown(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//[redacted]@');
}

/** Redis answers PING within the timeout (one attempt, no retries: a checklist must not hang). */
export async function checkRedis(redisUrl: string, timeoutMs = 3_000): Promise<DoctorCheck> {
  const redis = connectRedis(redisUrl, { kind: 'probe', connectTimeoutMs: timeoutMs });
  const base = { group: 'Redis', name: shown(redisUrl) };
  try {
    await redis.connect();
    const pong = await redis.ping();
    return { ...base, status: pong === 'PONG' ? 'pass' : 'fail', detail: `answers PING (${pong})` };
  } catch (error) {
    return {
      ...base,
      status: 'fail',
      detail: `no answer: ${errorMessage(error)}`,
      fix: 'start Redis, or set REDIS_URL to where it runs (redis://[:password@]host:6379)',
    };
  } finally {
    redis.disconnect();
  }
}
