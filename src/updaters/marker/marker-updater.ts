import { isScalar, visit, type Scalar } from 'yaml';
import { retagImage } from '../../images/index.js';
import { pinnedDigest } from '../pinned-digest.js';
import { toUpdater } from '../to-updater.js';
import type { ImageChange, Located, Updater } from '../types.js';
import { editScalar, lineStartAt, type YamlSource } from '../source-edits/index.js';
import { findMarkers } from './find-markers.js';

/**
 * Values marked with a comment on their line, for whatever the other formats do not know:
 * `tag: 1a2b3c4 # promobot: chat-ui` is set to the tag, `value: harbor.example.com/bootcamp/chat-ui:1a2b3c4 #
 * promobot: chat-ui:ref` to the full reference (repository as written there, digest when pinning). The marked value
 * is the last value that ends on the comment's line, before the comment.
 */
export function locateMarkedValues(source: YamlSource, change: ImageChange): Located {
  const { text } = source;
  const markers = findMarkers(text).filter((marker) => marker.app === change.app);
  if (markers.length === 0) return { references: 0, edits: [], problems: [] };
  const values: Scalar[] = [];
  const aliases: { range: [number, number, number]; target: Scalar | null }[] = [];
  const all: Scalar[] = [];
  for (const document of source.documents) {
    visit(document, {
      Scalar(key, node) {
        all.push(node);
        if (key !== 'key') values.push(node);
      },
      Alias(key, node) {
        // `tag: *shared # promobot: chat-ui` marks the anchored value; the alias's own range finds the line.
        const target = node.resolve(document);
        if (key !== 'key' && node.range)
          aliases.push({ range: node.range, target: isScalar(target) ? target : null });
      },
    });
  }
  const located: Located = { references: 0, edits: [], problems: [] };
  for (const marker of markers) {
    const insideValue = all.some(
      ({ range }) =>
        range !== undefined && range !== null && range[0] <= marker.offset && marker.offset < range[1],
    );
    if (insideValue) continue;
    const lineStart = lineStartAt(text, marker.offset);
    const candidates = [
      ...values.map((node): { range: Scalar['range']; node: Scalar | null } => ({ range: node.range, node })),
      ...aliases.map(({ range, target }) => ({ range, node: target })),
    ];
    const onLine = candidates.filter(
      ({ range }) => range != null && range[1] > lineStart && range[1] <= marker.offset,
    );
    const target = onLine.sort((a, b) => (b.range?.[0] ?? 0) - (a.range?.[0] ?? 0))[0]?.node;
    const line = source.lineCounter.linePos(marker.offset).line;
    if (target === undefined) {
      located.problems.push(`line ${line}: the promobot marker for ${change.app} has no value before it`);
      continue;
    }
    if (target === null) {
      located.problems.push(
        `line ${line}: the value marked for ${change.app} is an alias to no single value`,
      );
      continue;
    }
    located.references += 1;
    let value = change.tag;
    if (marker.kind === 'ref') {
      const current = typeof target.value === 'string' ? target.value : '';
      value =
        retagImage(current, { image: current, tag: change.tag, digest: pinnedDigest(change) }) ??
        `${change.image}:${change.tag}${pinnedDigest(change) === undefined ? '' : `@${pinnedDigest(change)}`}`;
    }
    const result = editScalar(source, target, value, 'marker');
    if (result.kind === 'edit') located.edits.push(result.edit);
    if (result.kind === 'unsupported') located.problems.push(result.reason);
  }
  return located;
}

/** The marker-comment format. */
export function markerUpdater(): Updater {
  return toUpdater('marker', (source, change) => locateMarkedValues(source, change));
}
