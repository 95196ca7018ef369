export { kustomizeUpdater, locateKustomizeImages } from './kustomize-updater.js';
export { isKustomization } from './is-kustomization.js';
