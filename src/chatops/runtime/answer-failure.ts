import { errorMessage, type PermanentError } from '../../errors/index.js';
import type { CommentCreated } from '../../events/index.js';
import { askedInComment } from './answer-access-error.js';

/** Longest error text quoted in a reply: the host's own message can be long, and is the sender's words. */
const MAX_QUOTED = 300;

/**
 * The error's words with anything that could be a credential taken out: bearer and basic values, `token=`-like
 * parameters, and a URL's user information. Error messages name the request and the host's answer, never the
 * token, but a host may echo a request back. Pure.
 */
export function withoutSecrets(text: string): string {
  return text
    .replace(/\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
    .replace(/\b(access_token|token|password|secret|key|sig|signature)=[^\s&"']+/gi, '$1=[redacted]')
    .replace(/(\w+:\/\/)[^/\s@]+@/g, '$1[redacted]@');
}

/**
 * The reply to a comment whose handling ended in a permanent error (other than promobot's missing access, which has
 * its own reply): what was asked, that promobot could not act on it and why, the fix when the error has one, and
 * that nothing more will be tried. Pure.
 */
export function renderFailureReply(event: CommentCreated, error: PermanentError): string {
  const asked = askedInComment(event).asked;
  const message = withoutSecrets(errorMessage(error)).slice(0, MAX_QUOTED).replace(/\.$/, '');
  const advice = error.advice === undefined ? null : withoutSecrets(error.advice).slice(0, MAX_QUOTED);
  return [
    `@${event.author} promobot could not act on ${asked}: ${message}.`,
    ...(advice === null ? [] : ['', `**Fix (for whoever runs promobot):** ${advice.replace(/\.$/, '')}.`]),
    '',
    'Retrying cannot help, so promobot stopped here; what this comment asked may not have taken effect. Once it is fixed, write the command again in a new comment.',
  ].join('\n');
}
