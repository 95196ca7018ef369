export { helmUpdater, locateHelmValues } from './helm-updater.js';
