import type { ImageChange, Located, UpdateResult, Updater, ValueEdit } from './types.js';
import { mergeEdits, parseYamlSource, spliceEdits, type YamlSource } from './source-edits/index.js';

/** An {@link Updater} from a format's search in parsed YAML: `locate` parses first, `update` applies what it finds. */
export function toUpdater(
  format: ValueEdit['format'],
  locateIn: (source: YamlSource, change: ImageChange, path: string) => Located,
): Updater {
  const locate = (text: string, change: ImageChange, path: string): Located | null => {
    const parsed = parseYamlSource(text);
    return parsed.ok ? locateIn(parsed.source, change, path) : null;
  };
  return {
    format,
    locate,
    locateIn,
    update(text: string, change: ImageChange, path: string): UpdateResult | null {
      const located = locate(text, change, path);
      if (located === null || located.edits.length === 0) return null;
      // One format may find a value twice (a Helm image block and a key path naming its tag).
      const { edits } = mergeEdits([located.edits]);
      return { text: spliceEdits(text, edits), edits };
    },
  };
}
