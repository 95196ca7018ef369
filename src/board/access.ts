import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4 } from 'node:net';

/** Who may read the board (`PROMOBOT_UI_*`). */
export interface UiAccess {
  readonly tokens: readonly string[];
  readonly proxyCidrs: readonly string[];
  readonly anonymous: boolean;
}

/** What a request carries that access is decided on. */
export interface AccessRequest {
  /** The `Authorization` header. */
  authorization: string | undefined;
  /** The board's session cookie (the token, set by the login form). */
  cookieToken: string | undefined;
  /** The TCP peer: a proxy's headers count only from a configured proxy. */
  remoteAddress: string | undefined;
  forwardedUser: string | undefined;
  forwardedEmail: string | undefined;
}

export type AccessDecision =
  { allowed: true; via: 'token' | 'proxy' | 'anonymous'; who: string } | { allowed: false; why: string };

/** Name of the cookie the login form sets. */
export const SESSION_COOKIE = 'promobot_board';

const digest = (value: string) => createHash('sha256').update(value).digest();
/** Compares in constant time whatever the lengths. */
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));
const MAX_NAME = 200;

/** `::ffff:10.0.0.1` is the IPv4 peer 10.0.0.1 as a dual-stack socket reports it. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** Builds the access check once per process (the CIDR list is parsed once). */
export function createAccessCheck(access: UiAccess): (request: AccessRequest) => AccessDecision {
  const proxies = new BlockList();
  for (const cidr of access.proxyCidrs) {
    const [network = '', bits = ''] = cidr.split('/');
    proxies.addSubnet(network, Number(bits), isIPv4(network) ? 'ipv4' : 'ipv6');
  }
  const fromProxy = (address: string | undefined) => {
    if (address === undefined || access.proxyCidrs.length === 0) return false;
    const peer = normalizeAddress(address);
    return proxies.check(peer, isIPv4(peer) ? 'ipv4' : 'ipv6');
  };
  return (request) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.authorization ?? '')?.[1];
    for (const presented of [bearer, request.cookieToken]) {
      if (presented !== undefined && access.tokens.some((token) => sameSecret(token, presented)))
        return { allowed: true, via: 'token', who: 'token' };
    }
    const user = request.forwardedUser?.trim() || request.forwardedEmail?.trim();
    if (user && fromProxy(request.remoteAddress))
      return { allowed: true, via: 'proxy', who: user.slice(0, MAX_NAME) };
    if (access.anonymous) return { allowed: true, via: 'anonymous', who: 'anonymous' };
    return {
      allowed: false,
      why:
        bearer !== undefined || request.cookieToken !== undefined
          ? 'the token is not one of PROMOBOT_UI_TOKEN'
          : 'no token (Authorization: Bearer, PROMOBOT_UI_TOKEN) and no trusted proxy',
    };
  };
}
