import { describe, expect, it } from 'vitest';
import { createLoginLimiter } from '../../src/board/login-limiter.js';

describe('board/createLoginLimiter()', () => {
  it('refuses a client after max refused tokens until its window ends, and counts each client alone', () => {
    let now = 1_000_000;
    const limiter = createLoginLimiter({ max: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i += 1) {
      expect(limiter.check('10.0.0.1')).toEqual({ allowed: true });
      limiter.fail('10.0.0.1');
    }
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(limiter.check('10.0.0.2')).toEqual({ allowed: true });
    now += 59_500;
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 500;
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: true });
  });

  it('forgets the oldest clients first past its size cap', () => {
    const limiter = createLoginLimiter({ max: 1, windowMs: 60_000, maxClients: 2, now: () => 0 });
    limiter.fail('a');
    limiter.fail('b');
    limiter.fail('c');
    expect(limiter.check('a')).toEqual({ allowed: true });
    expect(limiter.check('b').allowed).toBe(false);
    expect(limiter.check('c').allowed).toBe(false);
  });
});
