/**
 * The audit of a full dev → staging → prod run, read from the outside like `tally.ts`: the deploy repo's history
 * and branches, and the pull requests on the Gitea double. Each broken promise becomes one line in `problems`, so a
 * failing run says which app went wrong and how.
 */
import { parsePromotionMeta } from '../../../src/promotion/index.js';
import type { DoublePull } from '../../doubles/gitea/index.js';
import { git } from '../../support/git.js';
import { landings, tallyLandings, type Figures, type Intended } from './tally.js';
import { manifestPath } from './world.js';

export interface FlowPlan {
  /** Every tag pushed per app, oldest first; the last is the app's final tag. */
  tags: ReadonlyMap<string, readonly string[]>;
}

export interface FlowAudit {
  /** The dev landings (and the staging landings of final tags) counted by `tallyLandings`. */
  figures: Figures;
  /** Staging landings of a tag older than the app's final one (it got there before the newer tag came). */
  intermediateStaging: number;
  /** Bot PRs by environment and state. */
  pulls: Record<string, { open: number; merged: number; closed: number }>;
  /** Prod PRs updated in place from an older tag (the PR that was opened for one tag carries a newer one now). */
  updatedInPlace: number;
  problems: string[];
}

const finalOf = (tags: readonly string[]) => tags[tags.length - 1]!;

/** What the intended landings are: every tag in dev, the final tag in staging. */
export function intendedLandings(plan: FlowPlan): Intended[] {
  const intended: Intended[] = [];
  for (const [app, tags] of plan.tags) {
    for (const tag of tags) intended.push({ app, env: 'dev', tag });
    intended.push({ app, env: 'staging', tag: finalOf(tags) });
  }
  return intended;
}

/**
 * Checks, per app: each pushed tag landed in dev exactly once; the final tag landed in staging exactly once, as the
 * merge of exactly one merged bot PR carrying it, and last; older tags at most once before it; nothing landed in
 * prod; exactly one open prod PR whose metadata and branch both carry the final tag; no other landing anywhere.
 */
export function auditFlow(bare: string, pulls: readonly DoublePull[], plan: FlowPlan): FlowAudit {
  const problems: string[] = [];
  const figures = tallyLandings(bare, intendedLandings(plan));
  const all = landings(bare);
  const bot = pulls.filter((p) => p.head.startsWith('promobot/'));
  const summary: FlowAudit['pulls'] = {};
  for (const p of bot) {
    const env = p.head.split('/')[1] ?? '?';
    const row = (summary[env] ??= { open: 0, merged: 0, closed: 0 });
    if (p.state === 'open') row.open += 1;
    else if (p.merged) row.merged += 1;
    else row.closed += 1;
  }

  let intermediateStaging = 0;
  let updatedInPlace = 0;
  for (const [app, tags] of plan.tags) {
    const final = finalOf(tags);
    const mine = all.filter((l) => l.app === app);
    for (const tag of tags) {
      const n = mine.filter((l) => l.env === 'dev' && l.tag === tag).length;
      if (n !== 1) problems.push(`${app}: dev got ${tag.slice(0, 7)} ${n} times`);
    }
    for (const l of mine.filter((x) => x.env === 'dev' && !tags.includes(x.tag)))
      problems.push(`${app}: dev got ${l.tag.slice(0, 7)}, never pushed (${l.commit.slice(0, 7)})`);

    const staging = mine.filter((l) => l.env === 'staging');
    const finals = staging.filter((l) => l.tag === final);
    if (finals.length !== 1) problems.push(`${app}: staging got the final tag ${finals.length} times`);
    if (staging.length > 0 && staging[staging.length - 1]!.tag !== final)
      problems.push(
        `${app}: staging's last landing is ${staging[staging.length - 1]!.tag.slice(0, 7)}, not final`,
      );
    for (const tag of tags.slice(0, -1)) {
      const n = staging.filter((l) => l.tag === tag).length;
      if (n > 1) problems.push(`${app}: staging got the older tag ${tag.slice(0, 7)} ${n} times`);
      intermediateStaging += n;
    }
    for (const l of staging.filter((x) => !tags.includes(x.tag)))
      problems.push(`${app}: staging got ${l.tag.slice(0, 7)}, never pushed`);
    const mergedFinal = bot.filter((p) => {
      const meta = parsePromotionMeta(p.body);
      return p.merged && meta?.env === 'staging' && meta.app === app && meta.tag === final;
    });
    if (mergedFinal.length !== 1)
      problems.push(`${app}: ${mergedFinal.length} merged staging PRs carry the final tag`);
    else if (finals.length === 1 && mergedFinal[0]!.mergeCommitSha !== finals[0]!.commit)
      problems.push(
        `${app}: the final tag reached staging in ${finals[0]!.commit.slice(0, 7)}, not by its PR's merge`,
      );

    for (const l of mine.filter((x) => x.env === 'prod'))
      problems.push(`${app}: prod got ${l.tag.slice(0, 7)} without an approval (${l.commit.slice(0, 7)})`);
    const prodHead = `promobot/prod/${app}`;
    const prod = bot.filter((p) => p.head === prodHead);
    const open = prod.filter((p) => p.state === 'open');
    if (open.length !== 1) {
      problems.push(`${app}: ${open.length} open prod PRs`);
    } else {
      const meta = parsePromotionMeta(open[0]!.body);
      if (meta?.env !== 'prod' || meta.app !== app || meta.tag !== final)
        problems.push(
          `${app}: the open prod PR #${open[0]!.index} carries ${meta?.tag.slice(0, 7)}, not final`,
        );
      const onBranch = git(bare, 'show', `refs/heads/${prodHead}:${manifestPath(app, 'prod')}`);
      if (!onBranch.includes(`:${final}`))
        problems.push(`${app}: the prod PR's branch does not hold the final tag`);
      // A PR opened for an older tag and now carrying the final one was updated in place, not replaced.
      if (tags.length > 1 && prod.length === 1) updatedInPlace += 1;
    }
    if (tags.length > 1 && prod.length !== 1)
      problems.push(`${app}: ${prod.length} prod PRs over the run; one updated in place was expected`);
  }
  // Anything tallyLandings could not place that is not an older tag on its way through staging.
  if (figures.unexpected !== intermediateStaging)
    problems.push(`${figures.unexpected - intermediateStaging} landings nobody asked for`);
  return { figures, intermediateStaging, pulls: summary, updatedInPlace, problems };
}
