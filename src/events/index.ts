// The domain events and what a webhook normalizer needs, as the rest of promobot uses them.
export {
  CommentCreated,
  DomainEvent,
  type DomainEventType,
  ImagePushed,
  PullRequestChanged,
  RepoRef,
  ReviewSubmitted,
  ScmKind,
  Source,
} from './types.js';
export { PayloadValidationError } from './payload-validation-error.js';
export { type WebhookHeaders, headerValue } from './normalize-result.js';
