import { parseImageRef } from './parse-image-ref.js';

export interface Retag {
  /** The app's image without tag: `harbor.example.com/bootcamp/chat-ui`. */
  image: string;
  tag: string;
  /** Pin to this digest (`repo:tag@sha256:…`); absent: write no digest. */
  digest?: string | undefined;
}

/**
 * The reference `value` becomes when it names `retag.image`, or null when it names another repository (or is not an
 * image reference). The repository stays as written (`nginx` stays `nginx`, not `docker.io/library/nginx`).
 *
 * Without a digest to pin, a digest already in `value` is dropped: a runtime pulls by digest when one is present, so a
 * stale digest next to a new tag would keep the old image running while the file claims the new one.
 *
 * @example retagImage('harbor.example.com/bootcamp/chat-ui:1a2b3c4', { image: 'harbor.example.com/bootcamp/chat-ui', tag: '3f9c2ab' })
 *   // 'harbor.example.com/bootcamp/chat-ui:3f9c2ab'
 */
export function retagImage(value: string, retag: Retag): string | null {
  const current = parseImageRef(value);
  const target = parseImageRef(retag.image);
  if (!current.ok || !target.ok || current.ref.repository !== target.ref.repository) return null;
  const digest = retag.digest === undefined ? '' : `@${retag.digest}`;
  return `${current.ref.written}:${retag.tag}${digest}`;
}
