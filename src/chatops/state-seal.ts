import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs the ChatOps state promobot hides in its status comment, with a server-side key (`PROMOBOT_STATE_KEY`), so
 * that a state block anyone with write access edited or copied is recognised and ignored. The signature covers the
 * PR it belongs to (`scope`), so a genuine block copied from another PR does not verify either. Several keys rotate
 * like the webhook secrets: the first signs, any of them verifies.
 */
export interface StateSeal {
  /** Whether a key is configured; without one nothing is signed and no block verifies. */
  readonly enabled: boolean;
  /** The signature of `payload` for `scope`, or null without a key. */
  sign(scope: string, payload: string): string | null;
  verify(scope: string, payload: string, signature: string): boolean;
}

/** The scope goes in with its length, so no split of one text into scope and payload signs like another. */
function mac(key: string, scope: string, payload: string): Buffer {
  return createHmac('sha256', key)
    .update(`promobot-state\n${String(scope.length)}:${scope}\n${payload}`)
    .digest();
}

export function createStateSeal(keys: readonly string[]): StateSeal {
  const [signing] = keys;
  return {
    enabled: signing !== undefined,
    sign: (scope, payload) =>
      signing === undefined ? null : mac(signing, scope, payload).toString('base64url'),
    verify(scope, payload, signature) {
      const given = Buffer.from(signature, 'base64url');
      return keys.some((key) => {
        const wanted = mac(key, scope, payload);
        return given.length === wanted.length && timingSafeEqual(given, wanted);
      });
    },
  };
}

/** The scope of one PR's state: the host, the repository and the number. */
export function stateScope(scm: string, repo: string, number: number): string {
  return `${scm}:${repo.toLowerCase()}#${String(number)}`;
}

/**
 * Text people wrote, made unable to carry promobot's hidden markers into a bot comment: every `<!--` gets a
 * zero-width joiner, so it shows the same and is no HTML comment (nor a marker) any more.
 */
export function defuseMarkers(text: string): string {
  return text.replace(/<!--/g, '<!\u2060--');
}
