import { createHmac, timingSafeEqual } from 'node:crypto';
import { verifyWithFallback } from '@octokit/webhooks-methods';

/**
 * Checks a Gitea `X-Gitea-Signature` (lowercase hex HMAC-SHA256 of the raw body) against every configured secret,
 * so a secret can be rotated without downtime. Each comparison is constant-time and every secret is tried, so the
 * answer time does not tell which one matched.
 */
export function verifyHexHmac(secrets: readonly string[], body: Buffer, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
  const given = Buffer.from(signature.toLowerCase(), 'hex');
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    ok = timingSafeEqual(expected, given) || ok;
  }
  return ok;
}

/** Checks a GitHub `X-Hub-Signature-256` (`sha256=<hex>`) with `@octokit/webhooks-methods`, any secret matching. */
export async function verifyGitHubSignature(
  secrets: readonly string[],
  body: Buffer,
  signature: string,
): Promise<boolean> {
  const [first, ...others] = secrets;
  if (first === undefined || !/^sha256=[0-9a-f]{64}$/i.test(signature)) return false;
  try {
    return (await verifyWithFallback(first, body.toString('utf8'), signature, others)) === true;
  } catch {
    return false;
  }
}
