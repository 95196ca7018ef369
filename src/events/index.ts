export * from './types.js';
export {
  headerValue,
  type NormalizeResult,
  type Normalizer,
  type WebhookHeaders,
} from './normalize-result.js';
export { PayloadValidationError } from './payload-validation-error.js';
