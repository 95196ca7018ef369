import { z } from 'zod';

/** The trailers promobot writes as evidence on every commit it makes. */
export const PROMOBOT_TRAILERS = {
  app: 'Promobot-App',
  environment: 'Promobot-Environment',
  tag: 'Promobot-Tag',
  digest: 'Promobot-Digest',
  event: 'Promobot-Event',
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
