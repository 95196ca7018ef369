export { locateMarkedValues, markerUpdater } from './marker-updater.js';
export { findMarkers, type Marker } from './find-markers.js';
