/**
 * File-format updaters: pure `(text, change) -> result | null` edits, byte-exact outside the changed value.
 * One folder per format (`manifest/`, `kustomize/`, `helm/`, `marker/`); `updaters/index.ts` lists them.
 */

/** The image whose references change, and what they change to. */
export interface ImageChange {
  /** The app's name in policy (marker comments name it: `# promobot: chat-ui`). */
  app: string;
  /** Image without tag or digest: `harbor.example.com/bootcamp/chat-ui`. */
  image: string;
  tag: string;
  /** `sha256:…`; written only when `pinDigest` is on. */
  digest?: string;
  pinDigest: boolean;
  /** Explicit Helm values key paths holding the tag, from policy. */
  helmTagPaths?: readonly string[];
}

/** One changed value, for the commit, the PR body and `plan`. */
export interface ValueEdit {
  format: 'manifest' | 'kustomize' | 'helm' | 'marker';
  /** 1-based line of the value in the original text. */
  line: number;
  before: string;
  after: string;
}

export interface UpdateResult {
  text: string;
  edits: ValueEdit[];
}

export interface Updater {
  readonly format: ValueEdit['format'];
  /** The new text and what changed, or null when this format finds nothing of the image in the file. */
  update(text: string, change: ImageChange, path: string): UpdateResult | null;
}
