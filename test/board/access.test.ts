import { describe, expect, it } from 'vitest';
import { createAccessCheck, type AccessRequest } from '../../src/board/index.js';
import { loadConfig } from '../../src/config/index.js';

const request = (overrides: Partial<AccessRequest>): AccessRequest => ({
  authorization: undefined,
  cookieToken: undefined,
  remoteAddress: '127.0.0.1',
  forwardedUser: undefined,
  forwardedEmail: undefined,
  ...overrides,
});

describe('board/createAccessCheck()', () => {
  const check = createAccessCheck({
    tokens: ['first-token', 'second-token'],
    proxyCidrs: ['10.1.0.0/16', 'fd00::/8'],
    anonymous: false,
  });

  it('takes any configured token, from the header or the cookie', () => {
    expect(check(request({ authorization: 'Bearer second-token' }))).toMatchObject({
      allowed: true,
      via: 'token',
    });
    expect(check(request({ cookieToken: 'first-token' }))).toMatchObject({ allowed: true, via: 'token' });
    expect(check(request({ authorization: 'Bearer first-tok' })).allowed).toBe(false);
    expect(check(request({ authorization: 'first-token' })).allowed).toBe(false);
  });

  it('believes X-Forwarded-User or -Email only from a proxy address, IPv4-mapped included', () => {
    expect(check(request({ remoteAddress: '10.1.2.3', forwardedUser: 'alice' }))).toEqual({
      allowed: true,
      via: 'proxy',
      who: 'alice',
    });
    expect(
      check(request({ remoteAddress: '::ffff:10.1.2.3', forwardedEmail: 'a@example.com' })),
    ).toMatchObject({
      who: 'a@example.com',
    });
    expect(check(request({ remoteAddress: 'fd12::1', forwardedUser: 'alice' })).allowed).toBe(true);
    expect(check(request({ remoteAddress: '10.2.0.1', forwardedUser: 'alice' })).allowed).toBe(false);
    expect(check(request({ remoteAddress: '10.1.2.3' })).allowed).toBe(false);
  });

  it('refuses everyone without a token, a proxy or anonymous access, and lets all in when anonymous', () => {
    expect(createAccessCheck({ tokens: [], proxyCidrs: [], anonymous: false })(request({}))).toMatchObject({
      allowed: false,
    });
    expect(createAccessCheck({ tokens: [], proxyCidrs: [], anonymous: true })(request({}))).toMatchObject({
      allowed: true,
      via: 'anonymous',
    });
  });
});

describe('config: PROMOBOT_UI_*', () => {
  it('reads tokens (rotation lists, _FILE), proxy CIDRs and anonymous access, closed by default', () => {
    expect(loadConfig({}).ui).toEqual({ tokens: [], proxyCidrs: [], anonymous: false });
    const config = loadConfig(
      {
        PROMOBOT_UI_TOKEN_FILE: '/run/secrets/ui',
        PROMOBOT_UI_PROXY_CIDRS: '10.0.0.0/8, fd00::/8',
        PROMOBOT_UI_ANONYMOUS: 'true',
      },
      () => 'one\ntwo\n',
    );
    expect(config.ui).toEqual({
      tokens: ['one', 'two'],
      proxyCidrs: ['10.0.0.0/8', 'fd00::/8'],
      anonymous: true,
    });
  });

  it('names the variable of a wrong value', () => {
    expect(() => loadConfig({ PROMOBOT_UI_PROXY_CIDRS: '10.0.0.0' })).toThrow(/PROMOBOT_UI_PROXY_CIDRS/);
    expect(() => loadConfig({ PROMOBOT_UI_ANONYMOUS: 'yes' })).toThrow(/PROMOBOT_UI_ANONYMOUS/);
  });
});
