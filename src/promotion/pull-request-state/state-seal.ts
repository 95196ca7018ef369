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
 * The scope of the block in one status comment: the PR and the comment's id. A genuine block copied into another
 * comment (a reply that echoed it, a comment a writer posted) does not verify there.
 */
export function statusCommentScope(scm: string, repo: string, number: number, commentId: number): string {
  return `${stateScope(scm, repo, number)}@comment:${String(commentId)}`;
}

/**
 * How much later than the time sealed in a block the host may say the comment was last written, and the block
 * still be taken as the bot's last write: the bot stamps the block just before it sends it, so this covers the
 * request's time on the wire and the difference between the bot's and the host's clocks. A person who edits the
 * comment (for instance to paste back an earlier genuine block from the edit history) moves the host's
 * `updated_at` to the time of that edit, later than this past the time in the block, and the block is refused.
 */
export const STATE_WRITE_TOLERANCE_MS = 15_000;

/**
 * Whether a verified block is the bot's last write of its comment, from what the host recorded and people cannot
 * set: null when it is, or why not. `updatedAt` is the comment's `updated_at` (written by the host on every edit);
 * `sealedAt` the time the bot sealed in the block; `seq` its sequence number and `knownSeq` the highest the bot
 * still remembers for the PR (0 when Redis lost it too): a block older than one the bot wrote since is stale.
 */
export function staleBlock(input: {
  updatedAt: string;
  sealedAt: string;
  seq: number;
  knownSeq: number;
  toleranceMs?: number;
}): string | null {
  const updated = Date.parse(input.updatedAt);
  const sealed = Date.parse(input.sealedAt);
  if (Number.isNaN(updated) || Number.isNaN(sealed))
    return 'the status comment or its state block has no readable time';
  if (input.seq < input.knownSeq)
    return `the state block is number ${String(input.seq)}, older than number ${String(input.knownSeq)} promobot wrote since`;
  const tolerance = input.toleranceMs ?? STATE_WRITE_TOLERANCE_MS;
  if (updated > sealed + tolerance)
    return `the status comment was edited at ${input.updatedAt}, after promobot wrote its state block (${input.sealedAt})`;
  return null;
}

/**
 * Text people wrote, made unable to carry promobot's hidden markers into a bot comment: every `<!--` gets a
 * zero-width joiner, so it shows the same and is no HTML comment (nor a marker) any more.
 */
export function defuseMarkers(text: string): string {
  return text.replace(/<!--/g, '<!\u2060--');
}
