export type { ImageRef, ImageRefResult } from './image-ref.js';
export { parseImageRef, sameRepository } from './parse-image-ref.js';
export { checkTag, DEFAULT_TAG_ALLOW, type TagCheck, type TagRuleSet } from './check-tag.js';
export { checkDigest } from './check-digest.js';
export { quoteShort } from './quote-short.js';
export { retagImage, type Retag } from './retag-image.js';
