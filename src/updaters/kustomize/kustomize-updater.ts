import { isAlias, isMap, isScalar, isSeq, type Document, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { sameRepository } from '../../images/index.js';
import { pinnedDigest } from '../pinned-digest.js';
import { toUpdater } from '../to-updater.js';
import type { ImageChange, Located, Updater, ValueEdit } from '../types.js';
import {
  editScalar,
  getPair,
  insertPairs,
  makeEdit,
  removePair,
  renderScalar,
  scalarText,
  type YamlSource,
} from '../source-edits/index.js';
import { isKustomization } from './is-kustomization.js';

/**
 * The `images:` entries of a kustomization that name the app's image, by `newName` when the entry has one (the
 * image the cluster runs), else by `name`. An entry renaming the app's image to another repository (`name` matches,
 * `newName` does not) is not the app's and is left alone.
 *
 * Sets `newTag`, adding it in the entry's own style when missing. When pinning, sets or adds `digest`; otherwise
 * takes an existing `digest` out, since kustomize prefers the digest over `newTag` and the new tag would not deploy.
 */
export function locateKustomizeImages(source: YamlSource, change: ImageChange, path: string): Located {
  if (!isKustomization(path)) return { references: 0, edits: [], problems: [] };
  const located: Located = { references: 0, edits: [], problems: [] };
  for (const document of source.documents) {
    if (!isMap(document.contents)) continue;
    const images = getPair(document.contents, 'images')?.value;
    if (!isSeq(images)) continue;
    for (const entry of images.items) {
      if (!isMap(entry)) continue;
      const named = matchingName(entry, change.image);
      if (named === null) continue;
      located.references += 1;
      locateEntry(source, document, entry, named, change, located);
    }
  }
  return located;
}

function matchingName(entry: YAMLMap, image: string): Scalar | null {
  const newName = getPair(entry, 'newName')?.value;
  if (isScalar(newName) && typeof newName.value === 'string') {
    return sameRepository(newName.value, image) ? newName : null;
  }
  const name = getPair(entry, 'name')?.value;
  if (isScalar(name) && typeof name.value === 'string' && sameRepository(name.value, image)) return name;
  return null;
}

function locateEntry(
  source: YamlSource,
  document: Document.Parsed,
  entry: YAMLMap,
  named: Scalar,
  change: ImageChange,
  located: Located,
): void {
  const digest = pinnedDigest(change);
  const missing: [string, string][] = [];
  const set = (pair: Pair | undefined, key: string, value: string): void => {
    if (pair === undefined) {
      missing.push([key, value]);
      return;
    }
    // `newTag: *shared` changes the anchored value; entries sharing it become one edit when merged.
    const node = isAlias(pair.value) ? pair.value.resolve(document) : pair.value;
    if (!isScalar(node)) {
      located.problems.push(`the ${key} of ${String(named.value)} is not a plain value`);
      return;
    }
    const result = editScalar(source, node, value, 'kustomize');
    if (result.kind === 'edit') located.edits.push(result.edit);
    if (result.kind === 'unsupported') located.problems.push(result.reason);
  };
  const tagPair = getPair(entry, 'newTag');
  const digestPair = getPair(entry, 'digest');
  if (digest !== undefined) {
    set(tagPair, 'newTag', change.tag);
    set(digestPair, 'digest', digest);
  } else if (digestPair !== undefined && isScalar(digestPair.value) && digestPair.value.value) {
    if (tagPair === undefined) {
      // The stale digest's place is where the tag goes: one edit, rather than a removal and an insertion that touch.
      const swap = swapPair(source, digestPair, 'newTag', change.tag, named.type);
      if (swap === null) located.problems.push(`could not replace the digest of ${String(named.value)}`);
      else located.edits.push(swap);
    } else {
      set(tagPair, 'newTag', change.tag);
      const removal = removePair(source, digestPair, 'kustomize');
      if (removal !== null) located.edits.push(removal);
    }
  } else {
    set(tagPair, 'newTag', change.tag);
  }
  if (missing.length > 0) {
    const insertion = insertPairs(source, entry, missing, named.type, 'kustomize');
    if (insertion === null)
      located.problems.push(
        `could not add ${missing.map(([k]) => k).join(' and ')} to ${String(named.value)}`,
      );
    else located.edits.push(insertion);
  }
}

function swapPair(
  source: YamlSource,
  pair: Pair,
  key: string,
  value: string,
  style: Scalar['type'],
): ValueEdit | null {
  if (!isScalar(pair.key) || !isScalar(pair.value)) return null;
  const start = pair.key.range?.[0];
  const end = pair.value.range?.[1];
  const keyText = renderScalar(pair.key.type, key);
  const valueText = renderScalar(style, value) ?? JSON.stringify(value);
  if (start === undefined || end === undefined || keyText === null) return null;
  return makeEdit(source.text, source.lineCounter, {
    format: 'kustomize',
    start,
    end,
    replacement: `${keyText}: ${valueText}`,
    before: scalarText(pair.value),
    after: value,
  });
}

/** The kustomize format: `images:` entries of kustomization files. */
export function kustomizeUpdater(): Updater {
  return toUpdater('kustomize', locateKustomizeImages);
}
