import { z } from 'zod';

/** What every trailer promobot writes starts with; a reader keeps only these. */
export const PROMOBOT_TRAILER_PREFIX = 'Promobot-';

/**
 * The trailers promobot writes as evidence on the commits it makes: the only place their names are spelled. A
 * candidate commit carries app, environment, tag, then digest, from, event and rollback where they apply; a merge
 * commit carries one approved-by per approver.
 */
export const PROMOBOT_TRAILERS = {
  app: 'Promobot-App',
  environment: 'Promobot-Environment',
  tag: 'Promobot-Tag',
  digest: 'Promobot-Digest',
  from: 'Promobot-From',
  event: 'Promobot-Event',
  rollback: 'Promobot-Rollback',
  approvedBy: 'Promobot-Approved-By',
} as const;

/** A git trailer token: letters, digits and inner dashes, like `Promobot-Tag` or `Signed-off-by`. */
export const TrailerKey = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/, 'a trailer key: letters, digits and inner dashes');

/**
 * One line of printable text without leading or trailing blanks: a value with a line break, a control character
 * or a Unicode line separator could smuggle in a second trailer or end the trailer block.
 */
export const TrailerValue = z
  .string()
  .min(1)
  .max(1_000)
  .regex(/^[^\p{Cc}\p{Zl}\p{Zp}]+$/u, 'one line without control characters')
  .refine((value) => value.trim() === value, 'no leading or trailing blanks');

export const Trailers = z.record(TrailerKey, TrailerValue);
export type Trailers = z.infer<typeof Trailers>;
