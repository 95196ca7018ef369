/**
 * File-format updaters: pure `(text, change, path) -> result | null` edits, byte-exact outside the changed value.
 * One folder per format (`manifest/`, `kustomize/`, `helm/`, `marker/`); `updaters/index.ts` lists them.
 */

import type { YamlSource } from './source-edits/parse-yaml-source.js';

/** The image whose references change, and what they change to. */
export interface ImageChange {
  /** The app's name in policy (marker comments name it: `# promobot: chat-ui`). */
  app: string;
  /** Image without tag or digest: `harbor.example.com/bootcamp/chat-ui`. */
  image: string;
  tag: string;
  /** `sha256:…`; written only when `pinDigest` is on. */
  digest?: string;
  /** Write `repo:tag@sha256:…`. Has no effect without a `digest`: there is nothing to pin to. */
  pinDigest: boolean;
  /** Explicit Helm values key paths holding the tag, from policy. */
  helmTagPaths?: readonly string[];
}

/** One changed value, for the commit, the PR body and `plan`. */
export interface ValueEdit {
  format: 'manifest' | 'kustomize' | 'helm' | 'marker';
  /** 1-based line of the value in the original text. */
  line: number;
  /** 1-based column of the value in the original text. */
  column: number;
  /** Offsets `[start, end)` of the replaced source in the original text; `start === end` for an inserted key. */
  start: number;
  end: number;
  /** The original source text at `[start, end)`, quotes included. */
  source: string;
  /** What replaces it, quotes included. */
  replacement: string;
  /** The value as YAML reads it, before and after; `''` for a key that was absent or is removed. */
  before: string;
  after: string;
}

export interface UpdateResult {
  text: string;
  edits: ValueEdit[];
}

/** What one format finds in one file: every reference to the image, and the edits that bring them to the tag. */
export interface Located {
  /** References to the image found, whether or not they already carry the tag. */
  references: number;
  /** Edits against the original text; empty when every reference is already current. */
  edits: ValueEdit[];
  /** References found but not editable (a block scalar, a conflicting marker), in words. */
  problems: string[];
}

export interface Updater {
  readonly format: ValueEdit['format'];
  /** Finds references and the edits they need, without applying them; null when the file does not parse as YAML. */
  locate(text: string, change: ImageChange, path: string): Located | null;
  /** {@link Updater.locate} in a file already parsed, so several formats share one parse. */
  locateIn(source: YamlSource, change: ImageChange, path: string): Located;
  /** The new text and what changed, or null when there is nothing to change (no reference, or already current). */
  update(text: string, change: ImageChange, path: string): UpdateResult | null;
}
