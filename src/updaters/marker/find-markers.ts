/** A `# promobot: <app>` or `# promobot: <app>:ref` comment. */
export interface Marker {
  app: string;
  /** `tag`: the marked value is the tag; `ref`: the full image reference. */
  kind: 'tag' | 'ref';
  /** Offset of the `#`. */
  offset: number;
}

/** `#` at a line start or after blank space, as YAML requires of a comment. */
const MARKER = /(?<=^|[ \t])#[ \t]*promobot:[ \t]*([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(:ref)?[ \t]*\r?$/gm;

/**
 * Every marker-shaped comment in `text`. A `#` inside a quoted or block scalar also matches here; the caller
 * drops those by checking the offset against the parsed values' ranges.
 */
export function findMarkers(text: string): Marker[] {
  return [...text.matchAll(MARKER)].map((match) => ({
    app: match[1] ?? '',
    kind: match[2] === undefined ? 'tag' : 'ref',
    offset: match.index,
  }));
}
