import { describe, expect, it } from 'vitest';
import { exponentialDelay, TransientError } from '../../src/errors/index.js';
import { retryDelay } from '../../src/queue/index.js';

const options = { baseMs: 1000, maxMs: 60_000 };

describe('queue/retryDelay()', () => {
  it('doubles the wait with every attempt', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, new Error('x'), options))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('never waits longer than the cap', () => {
    expect(retryDelay(20, new Error('x'), options)).toBe(60_000);
  });

  it('waits at least as long as the other side asked', () => {
    expect(retryDelay(1, new TransientError('429', { retryAfterMs: 30_000 }), options)).toBe(30_000);
  });

  it('ignores a Retry-After shorter than the backoff', () => {
    expect(retryDelay(3, new TransientError('429', { retryAfterMs: 10 }), options)).toBe(4000);
  });
});

describe('errors/exponentialDelay(), the one backoff formula', () => {
  it('starts at the base, doubles, and stops at the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => exponentialDelay(n, { baseMs: 250, maxMs: 2000 }))).toEqual([
      250, 500, 1000, 2000, 2000,
    ]);
  });

  it('has no cap unless given one, and treats attempt 0 as the first', () => {
    expect(exponentialDelay(11, { baseMs: 500 })).toBe(512_000);
    expect(exponentialDelay(0, { baseMs: 500 })).toBe(500);
  });
});
