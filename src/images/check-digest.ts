import { quoteShort } from './quote-short.js';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Whether `digest` is a sha256 content digest as registries report it (`sha256:` and 64 lowercase hex). */
export function checkDigest(digest: string): { ok: true } | { ok: false; reason: string } {
  if (DIGEST.test(digest)) return { ok: true };
  return {
    ok: false,
    reason: `digest ${quoteShort(digest)} is not sha256: followed by 64 lowercase hex characters`,
  };
}
