import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks a static `Authorization` header (Harbor sends its policy's `auth_header` verbatim; a registry sends its
 * configured headers) against every configured secret in constant time. Both sides are hashed first so values of
 * different lengths compare in the same time too.
 */
export function verifyAuthorization(secrets: readonly string[], header: string): boolean {
  const given = createHash('sha256').update(header).digest();
  let ok = false;
  for (const secret of secrets) {
    ok = timingSafeEqual(createHash('sha256').update(secret).digest(), given) || ok;
  }
  return ok;
}
