import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, createLogThrottle } from '../../src/logger/index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('createLogThrottle', () => {
  it('warns once per key per window, then again with how often it happened meanwhile', () => {
    let now = 0;
    const { lines, logger } = capture();
    const throttle = createLogThrottle({ windowMs: 60_000, now: () => now });
    for (let second = 0; second < 150; second += 1) {
      now = second * 1000;
      throttle.warn(logger, 'connect ECONNREFUSED', { err: 'connect ECONNREFUSED' }, 'request failed');
    }
    const warns = lines.filter((l) => l['level'] === 'warn');
    expect(warns.map((l) => l['repeated'])).toEqual([undefined, 59, 59]);
    // Nothing is lost from a debug log.
    expect(lines.filter((l) => l['level'] === 'debug')).toHaveLength(147);
  });

  it('keeps distinct failures apart', () => {
    const { lines, logger } = capture();
    const throttle = createLogThrottle({ now: () => 0 });
    throttle.warn(logger, 'a', {}, 'failed');
    throttle.warn(logger, 'b', {}, 'failed');
    throttle.warn(logger, 'a', {}, 'failed');
    expect(lines.filter((l) => l['level'] === 'warn')).toHaveLength(2);
  });

  it('forgets the oldest key past its bound, so a flood of distinct keys cannot grow it', () => {
    const { lines, logger } = capture();
    const throttle = createLogThrottle({ maxKeys: 2, now: () => 0 });
    for (const key of ['a', 'b', 'c', 'a']) throttle.warn(logger, key, {}, 'failed');
    // `a` was forgotten when `c` came, so it warns again.
    expect(lines.filter((l) => l['level'] === 'warn')).toHaveLength(4);
  });
});
