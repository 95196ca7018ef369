import { isAlias, isPair, isScalar, visit, type Scalar } from 'yaml';
import { retagImage } from '../../images/index.js';
import { pinnedDigest } from '../pinned-digest.js';
import { toUpdater } from '../to-updater.js';
import type { ImageChange, Located, Updater } from '../types.js';
import { editScalar, type YamlSource } from '../source-edits/index.js';

/**
 * Every `image:` scalar in every document that names the app's image, wherever it sits: Deployments, StatefulSets,
 * CronJobs, initContainers, Argo Rollouts, KServe and other custom resources, Helm values with a one-string image.
 * `image: *alias` changes the anchored value, once.
 */
export function locateManifestImages(source: YamlSource, change: ImageChange): Located {
  const located: Located = { references: 0, edits: [], problems: [] };
  const seen = new Set<Scalar>();
  for (const document of source.documents) {
    visit(document, {
      Pair(_key, pair) {
        if (!isPair(pair) || !isScalar(pair.key) || pair.key.value !== 'image') return;
        const target = isAlias(pair.value) ? pair.value.resolve(document) : pair.value;
        if (!isScalar(target) || typeof target.value !== 'string' || seen.has(target)) return;
        seen.add(target);
        // A block scalar (`image: |`) carries a line break; match on the reference so it is reported, not missed.
        const next = retagImage(target.value.trim(), {
          image: change.image,
          tag: change.tag,
          digest: pinnedDigest(change),
        });
        if (next === null) return;
        located.references += 1;
        const result = editScalar(source, target, next, 'manifest');
        if (result.kind === 'edit') located.edits.push(result.edit);
        if (result.kind === 'unsupported') located.problems.push(result.reason);
      },
    });
  }
  return located;
}

/** The plain-manifest format: `image:` values. */
export function manifestUpdater(): Updater {
  return toUpdater('manifest', (source, change) => locateManifestImages(source, change));
}
