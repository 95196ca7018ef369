import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  visit,
  type Document,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { sameRepository } from '../../images/index.js';
import { pinnedDigest } from '../pinned-digest.js';
import { toUpdater } from '../to-updater.js';
import type { ImageChange, Located, Updater } from '../types.js';
import { editScalar, getPair, insertPairs, type YamlSource } from '../source-edits/index.js';

/** Keys that hold a Helm image block: `image`, and names ending in it (`initImage`, `sidecarImage`). */
const IMAGE_KEY = /image$/i;

/**
 * Helm values: every `image: { registry?, repository, tag }` block whose registry and repository name the app's
 * image (a missing `tag` is added in the block's style), and the explicit key paths of `change.helmTagPaths`
 * (`chatUi.image.tag`, with list indexes as numbers: `sidecars.0.tag`), whose value is set to the tag whatever the
 * block around it says.
 *
 * A block's `digest` is set when pinning and emptied otherwise (a stale digest would pin the old image); a block
 * without a `digest` key gets none, since a chart that has no such value would silently ignore it.
 */
export function locateHelmValues(source: YamlSource, change: ImageChange): Located {
  const located: Located = { references: 0, edits: [], problems: [] };
  for (const document of source.documents) {
    visit(document, {
      Pair(_key, pair) {
        if (!isPair(pair) || !isScalar(pair.key) || typeof pair.key.value !== 'string') return;
        if (!IMAGE_KEY.test(pair.key.value) || !isMap(pair.value)) return;
        const repository = getPair(pair.value, 'repository')?.value;
        if (!isScalar(repository) || typeof repository.value !== 'string') return;
        const registry = getPair(pair.value, 'registry')?.value;
        const prefix =
          isScalar(registry) && typeof registry.value === 'string' && registry.value !== ''
            ? `${registry.value}/`
            : '';
        if (!sameRepository(`${prefix}${repository.value}`, change.image)) return;
        located.references += 1;
        locateBlock(source, document, pair.value, repository, change, located);
      },
    });
    for (const keyPath of change.helmTagPaths ?? [])
      locateKeyPath(source, document, keyPath, change, located);
  }
  return located;
}

function locateBlock(
  source: YamlSource,
  document: Document.Parsed,
  block: YAMLMap,
  repository: Scalar,
  change: ImageChange,
  located: Located,
): void {
  const tag = getPair(block, 'tag');
  if (tag === undefined) {
    const insertion = insertPairs(source, block, [['tag', change.tag]], repository.type, 'helm');
    if (insertion === null)
      located.problems.push(`could not add a tag to the image block of ${String(repository.value)}`);
    else located.edits.push(insertion);
  } else {
    setScalar(source, document, tag.value, change.tag, `the tag of ${String(repository.value)}`, located);
  }
  const digest = getPair(block, 'digest');
  if (digest !== undefined) {
    const value = pinnedDigest(change) ?? '';
    if (!(value === '' && isScalar(digest.value) && !digest.value.value)) {
      setScalar(source, document, digest.value, value, `the digest of ${String(repository.value)}`, located);
    }
  }
}

function locateKeyPath(
  source: YamlSource,
  document: Document.Parsed,
  keyPath: string,
  change: ImageChange,
  located: Located,
): void {
  let node: unknown = document.contents;
  for (const key of keyPath.split('.')) {
    // Through aliases, and through lists by index (`sidecars.0.image.tag`).
    if (isAlias(node)) node = node.resolve(document);
    if (isSeq(node) && /^\d+$/.test(key)) node = node.items[Number(key)];
    else if (isMap(node)) node = getPair(node, key)?.value;
    else return;
  }
  if (node === undefined) return;
  located.references += 1;
  setScalar(source, document, node, change.tag, keyPath, located);
}

function setScalar(
  source: YamlSource,
  document: Document.Parsed,
  value: unknown,
  text: string,
  what: string,
  located: Located,
): void {
  // `tag: *shared` changes the anchored value; two references to it become one edit when merged.
  const node = isAlias(value) ? value.resolve(document) : value;
  if (!isScalar(node)) {
    located.problems.push(`${what} is not a single value`);
    return;
  }
  const result = editScalar(source, node, text, 'helm');
  if (result.kind === 'edit') located.edits.push(result.edit);
  if (result.kind === 'unsupported') located.problems.push(result.reason);
}

/** The Helm values format: image blocks and explicit tag key paths. */
export function helmUpdater(): Updater {
  return toUpdater('helm', (source, change) => locateHelmValues(source, change));
}
