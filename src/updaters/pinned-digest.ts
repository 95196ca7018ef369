import type { ImageChange } from './types.js';

/** The digest to write: only when pinning is on and there is a digest to pin to. */
export function pinnedDigest(change: ImageChange): string | undefined {
  return change.pinDigest ? change.digest : undefined;
}
