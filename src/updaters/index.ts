export type { ImageChange, Located, UpdateResult, Updater, ValueEdit } from './types.js';
export type { FileUpdate } from './file-update.js';
export { updateFile, updaters } from './update-file.js';
export { updateTree, isYamlPath, type TreeUpdate } from './update-tree.js';
export { manifestUpdater } from './manifest/index.js';
export { kustomizeUpdater } from './kustomize/index.js';
export { helmUpdater } from './helm/index.js';
export { markerUpdater } from './marker/index.js';
export { pinnedDigest } from './pinned-digest.js';
