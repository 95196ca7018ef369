import type { ValueEdit } from './types.js';

/** What updating one file came to. */
export type FileUpdate =
  /** The file changes: `text` is the new content, `edits` the changed values in order. */
  | {
      path: string;
      status: 'changed';
      before: string;
      text: string;
      edits: ValueEdit[];
      references: number;
      problems: string[];
    }
  /** References to the image were found and all already carry the tag (or could not be edited: see problems). */
  | { path: string; status: 'current'; references: number; problems: string[] }
  /** Nothing of the image in this file. */
  | { path: string; status: 'absent' }
  /** Left alone: the file is not YAML the parser reads, or the edit would not read back as intended. */
  | { path: string; status: 'skipped'; reason: string };
