/**
 * A parsed image reference. Docker's normalization applies: a first path component that is not a registry host
 * (no `.`, no `:`, not `localhost`) means Docker Hub, and a single-component Docker Hub name lives under `library/`.
 */
export interface ImageRef {
  /** Registry host with optional port, lowercased: `harbor.example.com`, `localhost:5000`, `docker.io`. */
  readonly registry: string;
  /** Path inside the registry: `bootcamp/chat-ui`, `library/nginx`. */
  readonly path: string;
  /** Canonical repository for comparisons: `registry/path`, e.g. `docker.io/library/nginx`. */
  readonly repository: string;
  /** The repository exactly as written in the text: `nginx`, `harbor.example.com/bootcamp/chat-ui`. */
  readonly written: string;
  readonly tag?: string;
  /** `sha256:…` */
  readonly digest?: string;
}

export type ImageRefResult = { ok: true; ref: ImageRef } | { ok: false; reason: string };
