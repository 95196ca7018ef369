/**
 * ChatOps carried out: comments and reviews from the queue acted on against the code host, the per-PR state kept
 * in Redis and in the status comment, and the merge questions promotion asks (`mergeReadiness`, `mergeTrailers`).
 */
export * from './create-chatops-runtime.js';
