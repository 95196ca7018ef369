export { locateManifestImages, manifestUpdater } from './manifest-updater.js';
