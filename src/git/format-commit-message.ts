import { PermanentError } from '../errors/index.js';
import { TrailerKey, TrailerValue, type Trailers } from './trailers.js';

/**
 * Builds a commit message git reads back with the same trailers: subject, blank line, body, blank line, one
 * `Key: value` line per trailer. Every part is validated, so no value (a hostile tag, an event id from a webhook)
 * can add a line, a trailer, or end the trailer block early; a body line that looks like a `Promobot-*` trailer is
 * refused too, because a reader scanning the message must only ever find promobot's own.
 *
 * @example
 * formatCommitMessage('promote(chat-ui): dev 1a2b3c4 → 3f9c2ab', '', {
 *   'Promobot-App': 'chat-ui', 'Promobot-Environment': 'dev', 'Promobot-Tag': '3f9c2ab',
 * });
 */
export function formatCommitMessage(subject: string, body: string, trailers: Trailers): string {
  const refuse = (why: string) =>
    new PermanentError(`refused commit message: ${why}`, { advice: 'Check the commit message template.' });
  const cleanSubject = subject.trim();
  if (cleanSubject === '') throw refuse('the subject is empty');
  if (/[\p{Cc}\p{Zl}\p{Zp}]/u.test(cleanSubject)) throw refuse('the subject must be one line');
  if (/[\0\r\u2028\u2029]/.test(body)) throw refuse('the body holds NUL, CR or a Unicode line separator');
  const bodyLines = body.trim() === '' ? [] : body.trimEnd().split('\n');
  if (bodyLines.some((line) => /^\s*promobot-[A-Za-z0-9-]*\s*:/i.test(line))) {
    throw refuse('a body line looks like a Promobot trailer');
  }
  const trailerLines = Object.entries(trailers).map(([key, value]) => {
    const keyCheck = TrailerKey.safeParse(key);
    if (!keyCheck.success) throw refuse(`trailer key ${JSON.stringify(key)} is not a trailer token`);
    const valueCheck = TrailerValue.safeParse(value);
    if (!valueCheck.success) {
      throw refuse(
        `trailer ${key} has a value that is not one clean line (${JSON.stringify(value).slice(0, 80)})`,
      );
    }
    return `${key}: ${value}`;
  });
  const paragraphs = [cleanSubject];
  if (bodyLines.length > 0) paragraphs.push(bodyLines.join('\n'));
  if (trailerLines.length > 0) paragraphs.push(trailerLines.join('\n'));
  return `${paragraphs.join('\n\n')}\n`;
}
