import type { Trailers } from './trailers.js';

// Apart from env-history.ts, which reads git: deciders that choose among runs import this without loading git.
/** One stretch of time during which a tag ran in the environment. */
export interface TagRun {
  tag: string;
  /** When the tag appeared (committer time of `commit`, epoch ms); null when it ran before the depth limit. */
  since: number | null;
  /** The first-parent commit that brought the tag in; null when before the depth limit. */
  commit: string | null;
  /** The commit that took it out; null while it still runs. */
  endedBy: string | null;
  /** Who made `commit`: `Name <email>` of its author (a person's hand edit, a merge, a revert, or the bot). */
  author: string | null;
  subject: string | null;
  /** `Promobot-*` trailers of `commit`, where the bot wrote them: who and why. */
  trailers: Trailers;
}
