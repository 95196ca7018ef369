import { checkDigest } from './check-digest.js';
import { quoteShort } from './quote-short.js';
import type { ImageRefResult } from './image-ref.js';

// The grammar of github.com/distribution/reference (regexp.go), which Docker, containerd and Harbor share.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
/** distribution/reference: a name is at most 255 characters. */
const NAME_MAX = 255;
const DOCKER_HUB = 'docker.io';

/**
 * Parses `registry[:port]/path[:tag][@sha256:…]` with Docker's rules.
 *
 * The first component is the registry only when it looks like a host (contains `.` or `:`, or is `localhost`);
 * otherwise the image is on Docker Hub (`docker.io`), and a one-component name gets Docker Hub's `library/` prefix
 * in {@link ImageRef.repository}, so `nginx`, `library/nginx` and `docker.io/library/nginx` are one repository.
 * `index.docker.io` is Docker Hub's legacy name and is folded into `docker.io` too.
 *
 * @example parseImageRef('harbor.example.com/bootcamp/chat-ui:3f9c2ab')
 *   // { ok: true, ref: { registry: 'harbor.example.com', path: 'bootcamp/chat-ui', tag: '3f9c2ab', … } }
 */
export function parseImageRef(text: string): ImageRefResult {
  if (text.length > NAME_MAX + 1 + 128 + 1 + 71) return refuse(text, 'is too long to be an image reference');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const digestCheck = checkDigest(digest);
    if (!digestCheck.ok) return { ok: false, reason: digestCheck.reason };
  }
  let tag: string | undefined;
  // A tag follows the last ':' only when no '/' comes after it; otherwise that ':' belongs to a registry port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      return refuse(text, `has tag ${quoteShort(tag)} outside the grammar [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
  }
  const written = rest;
  if (written.length === 0) return refuse(text, 'has no repository name');
  if (written.length > NAME_MAX) return refuse(text, `has a name longer than ${NAME_MAX} characters`);

  const slash = written.indexOf('/');
  const first = slash === -1 ? '' : written.slice(0, slash);
  const isHost = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = isHost ? first : DOCKER_HUB;
  let path = isHost ? written.slice(slash + 1) : written;
  if (isHost && !DOMAIN.test(registry))
    return refuse(text, `has registry ${quoteShort(registry)} that is not a host[:port]`);
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      return refuse(
        text,
        `has path component ${quoteShort(component)}: lowercase letters, digits and . _ - separators only`,
      );
    }
  }
  // Host names are case-insensitive; paths are not (the grammar above already keeps them lowercase).
  registry = registry.toLowerCase();
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  return {
    ok: true,
    ref: {
      registry,
      path,
      repository: `${registry}/${path}`,
      written,
      ...(tag === undefined ? {} : { tag }),
      ...(digest === undefined ? {} : { digest }),
    },
  };
}

/** Whether two image names (tags and digests ignored) are the same repository under Docker's normalization. */
export function sameRepository(a: string, b: string): boolean {
  const left = parseImageRef(a);
  const right = parseImageRef(b);
  return left.ok && right.ok && left.ref.repository === right.ref.repository;
}

function refuse(text: string, why: string): ImageRefResult {
  return { ok: false, reason: `image reference ${quoteShort(text)} ${why}` };
}
