import { mergeEdits, spliceEdits } from './yaml/index.js';
import type { ImageChange, Located, UpdateResult, Updater, ValueEdit } from './types.js';

/** An {@link Updater} from a format's `locate`: `update` applies what `locate` finds, or says null. */
export function toUpdater(
  format: ValueEdit['format'],
  locate: (text: string, change: ImageChange, path: string) => Located | null,
): Updater {
  return {
    format,
    locate,
    update(text: string, change: ImageChange, path: string): UpdateResult | null {
      const located = locate(text, change, path);
      if (located === null || located.edits.length === 0) return null;
      // One format may find a value twice (a Helm image block and a key path naming its tag).
      const { edits } = mergeEdits([located.edits]);
      return { text: spliceEdits(text, edits), edits };
    },
  };
}
