import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { decideFreeze, freezeStatus, hasFreezeWindows } from '../../src/freeze/decide-freeze.js';
import { PromotionPolicy } from '../../src/policy/index.js';

/** A policy whose prod carries `envFreeze` and whose spec carries `policyFreeze` (YAML flow mappings). */
function policy(envFreeze?: string, policyFreeze?: string) {
  return PromotionPolicy.parse(
    parse(`
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: chat-ui, image: harbor.local/bootcamp/chat-ui }]
  ${policyFreeze ? `freeze: ${policyFreeze}` : ''}
  environments:
    - { name: dev, path: dev, update: commit }
    - name: prod
      path: prod
      from: dev
      update: pull-request
      ${envFreeze ? `freeze: ${envFreeze}` : ''}
`),
  );
}

const at = (iso: string) => Date.parse(iso);
const decide = (p: PromotionPolicy, iso: string, kind: 'promotion' | 'rollback' = 'promotion') =>
  decideFreeze(p.spec, p.spec.environments[1]!, at(iso), kind);

// Europe/Berlin moves to summer time on Sunday 2026-03-29 at 02:00 (UTC+1 → UTC+2).
const WEEKEND = `{ windows: [{ reason: weekend, cron: '0 18 * * 5', duration: 62h, timeZone: Europe/Berlin }] }`;
const WEEKEND_WALL_CLOCK = `{ windows: [{ reason: weekend, cron: '0 18 * * 5', endCron: '0 8 * * 1', timeZone: Europe/Berlin }] }`;

describe('freeze/decideFreeze()', () => {
  it('opens a recurring window at its start in its time zone, inclusive, and closes it at its end, exclusive', () => {
    const p = policy(WEEKEND);
    // Friday 18:00 in Berlin (UTC+1) is 17:00 UTC.
    expect(decide(p, '2026-03-27T16:59:59Z')).toEqual({ frozen: false, until: null, reason: null });
    expect(decide(p, '2026-03-27T17:00:00Z')).toEqual({
      frozen: true,
      until: at('2026-03-30T07:00:00Z'),
      reason: 'weekend',
    });
    expect(decide(p, '2026-03-30T06:59:59.999Z').frozen).toBe(true);
    expect(decide(p, '2026-03-30T07:00:00Z').frozen).toBe(false);
  });

  it('counts a duration in elapsed time across the switch to summer time, and endCron in wall-clock time', () => {
    // 62 hours from Friday 18:00 CET is Monday 09:00 CEST; endCron's Monday 08:00 CEST is 06:00 UTC.
    expect(decide(policy(WEEKEND), '2026-03-30T06:30:00Z').until).toBe(at('2026-03-30T07:00:00Z'));
    expect(decide(policy(WEEKEND_WALL_CLOCK), '2026-03-30T06:30:00Z')).toEqual({
      frozen: false,
      until: null,
      reason: null,
    });
    expect(decide(policy(WEEKEND_WALL_CLOCK), '2026-03-29T12:00:00Z').until).toBe(at('2026-03-30T06:00:00Z'));
  });

  it('reads the same cron in another time zone as another instant', () => {
    const ny = policy(
      `{ windows: [{ reason: nyc close, cron: '0 18 * * 5', duration: 1h, timeZone: America/New_York }] }`,
    );
    // New York is UTC-4 on 2026-03-27 (summer time since 2026-03-08): 18:00 there is 22:00 UTC.
    expect(decide(ny, '2026-03-27T17:30:00Z').frozen).toBe(false);
    expect(decide(ny, '2026-03-27T22:30:00Z')).toMatchObject({
      frozen: true,
      until: at('2026-03-27T23:00:00Z'),
    });
  });

  it('freezes a dated range, start inclusive and end exclusive', () => {
    const p = policy(
      undefined,
      `{ windows: [{ reason: holiday freeze, from: '2026-12-20T00:00:00+01:00', to: '2027-01-04T08:00:00+01:00' }] }`,
    );
    expect(decide(p, '2026-12-19T22:59:59Z').frozen).toBe(false);
    expect(decide(p, '2026-12-19T23:00:00Z')).toEqual({
      frozen: true,
      until: at('2027-01-04T07:00:00Z'),
      reason: 'holiday freeze',
    });
    expect(decide(p, '2027-01-04T07:00:00Z').frozen).toBe(false);
  });

  it('joins windows that follow on without a gap into one freeze, naming both reasons', () => {
    const p = policy(
      WEEKEND,
      `{ windows: [{ reason: release week, from: '2026-03-26T00:00:00Z', to: '2026-03-27T17:00:00Z' }] }`,
    );
    expect(decide(p, '2026-03-26T12:00:00Z')).toEqual({
      frozen: true,
      until: at('2026-03-30T07:00:00Z'),
      reason: 'release week; weekend',
    });
  });

  it('does not freeze rollbacks unless freezeRollbacks is set', () => {
    expect(decide(policy(WEEKEND), '2026-03-28T12:00:00Z', 'rollback').frozen).toBe(false);
    const strict = policy(
      `{ freezeRollbacks: true, windows: [{ reason: weekend, cron: '0 18 * * 5', duration: 62h, timeZone: Europe/Berlin }] }`,
    );
    expect(decide(strict, '2026-03-28T12:00:00Z', 'rollback').frozen).toBe(true);
  });

  it('leaves an environment without windows, and a policy without any, unfrozen', () => {
    const p = policy(WEEKEND);
    expect(decideFreeze(p.spec, p.spec.environments[0]!, at('2026-03-28T12:00:00Z')).frozen).toBe(false);
    expect(hasFreezeWindows(p.spec)).toBe(true);
    expect(hasFreezeWindows(policy().spec)).toBe(false);
  });
});

describe('freeze/freezeStatus()', () => {
  it('is pending "frozen until" with the reason while frozen, success otherwise, within 140 characters', () => {
    expect(freezeStatus({ frozen: true, until: at('2026-03-30T07:00:00Z'), reason: 'weekend' })).toEqual({
      context: 'promobot/freeze',
      state: 'pending',
      description: 'frozen until 2026-03-30T07:00:00Z: weekend',
    });
    expect(freezeStatus({ frozen: true, until: 0, reason: 'x'.repeat(200) }).description).toHaveLength(140);
    expect(freezeStatus({ frozen: false, until: null, reason: null }).state).toBe('success');
  });
});

describe('the freeze schema', () => {
  it.each([
    [`{ windows: [{ reason: r, cron: 'not a cron', duration: 1h }] }`, 'cron expression'],
    [`{ windows: [{ reason: r, cron: '0 18 * * 5', duration: 1h, timeZone: Mars/Olympus }] }`, 'time zone'],
    [`{ windows: [{ reason: r, cron: '0 18 * * 5' }] }`, 'exactly one of duration and endCron'],
    [`{ windows: [{ reason: r, from: '2026-12-20T00:00:00Z' }] }`, 'both from and to'],
    [
      `{ windows: [{ reason: r, from: '2026-12-20T00:00:00Z', to: '2026-12-19T00:00:00Z' }] }`,
      'to must come after from',
    ],
    [
      `{ windows: [{ reason: r, cron: '0 18 * * 5', duration: 1h, from: '2026-12-20T00:00:00Z', to: '2026-12-21T00:00:00Z' }] }`,
      'either cron',
    ],
  ])('refuses %s', (freeze, message) => {
    expect(() => policy(freeze)).toThrow(message);
  });
});
