export * from './types.js';
export {
  headerValue,
  type NormalizeResult,
  type Normalizer,
  type WebhookHeaders,
} from './normalize-result.js';
export { PayloadValidationError } from './payload-validation-error.js';
export { normalizeHarbor } from './normalize-harbor.js';
export { normalizeGitea, giteaEventType } from './normalize-gitea.js';
export { normalizeGitHub } from './normalize-github.js';
export { normalizeRegistry, registryTag } from './normalize-registry.js';
export { normalizers } from './normalizers.js';
