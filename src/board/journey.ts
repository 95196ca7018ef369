import type { AppBoard, HistoryEntry, Journey, JourneyStep, Promotion } from './schema.js';
import { MAX_JOURNEYS, MAX_TEXT } from './schema.js';
import { PROMOBOT_TRAILERS } from '../git/trailers.js';

const ROLLBACK = PROMOBOT_TRAILERS.rollback;
const APPROVED_BY = PROMOBOT_TRAILERS.approvedBy;

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** The logins a trailer value names (one, or several joined by commas or blanks). */
const logins = (value: string | undefined) =>
  value === undefined
    ? []
    : value
        .split(/[\s,]+/)
        .filter((l) => l.length > 0)
        .slice(0, 20);

/** What the open promotion's gates said, in a few words; null when it has none. */
function gateVerdict(p: Promotion): string | null {
  if (!p.gates) return null;
  const { status, round, lastOutcome } = p.gates;
  if (status === 'success') return `passed in ${round} round${round === 1 ? '' : 's'}`;
  if (status === 'failure') return clip(`failed${p.gates.conclusion ? `: ${p.gates.conclusion}` : ''}`);
  return `round ${round}${lastOutcome === null ? '' : `, last ${lastOutcome}`}`;
}

/**
 * The journey of each candidate (tag) through the environments, newest candidate first: when it was pushed, when
 * it came into each environment and who approved that, the open promotion still on its way (with its status and
 * gate verdict), and where it was rolled back. Read from the deploy repo's history (the `Promobot-*` trailers of
 * the commits that brought each tag in), the recorded push and the open promotions; a gate verdict of a promotion
 * that has since merged is carried over from the previous snapshot's journey of the same tag, as the deploy repo
 * does not keep it. Pure.
 */
export function buildJourneys(
  board: Pick<AppBoard, 'environments' | 'history' | 'lastPush' | 'promotions'>,
  previous: readonly Journey[] = [],
): Journey[] {
  const order = board.environments.map((e) => e.env);
  const byCommit = new Map<string, HistoryEntry>();
  for (const h of board.history) if (h.commit !== null) byCommit.set(h.commit, h);

  const tags: string[] = [];
  const seen = (tag: string) => {
    if (!tags.includes(tag)) tags.push(tag);
  };
  // Newest first: by when each tag first came anywhere, the open promotions' tags and the push on top.
  const firstSeen = new Map<string, number>();
  for (const h of board.history) {
    const at = h.since ?? 0;
    firstSeen.set(h.tag, Math.min(firstSeen.get(h.tag) ?? Number.POSITIVE_INFINITY, at));
  }
  if (board.lastPush) seen(board.lastPush.tag);
  for (const p of board.promotions) if (p.kind === 'promotion') seen(p.tag);
  [...firstSeen.entries()].sort((a, b) => b[1] - a[1]).forEach(([tag]) => seen(tag));

  return tags.slice(0, MAX_JOURNEYS).map((tag) => {
    const before = previous.find((j) => j.tag === tag);
    const steps: JourneyStep[] = [];
    for (const env of order) {
      const runs = board.history
        .filter((h) => h.env === env && h.tag === tag)
        .sort((a, b) => (a.since ?? 0) - (b.since ?? 0));
      for (const run of runs) {
        const ender = run.endedBy === null ? undefined : byCommit.get(run.endedBy);
        const rolledBack = ender !== undefined && ender.trailers[ROLLBACK] !== undefined;
        const carried = before?.steps.find(
          (s) => s.env === env && s.state !== 'pending' && s.at === run.since,
        );
        const pendingBefore = before?.steps.find((s) => s.env === env && s.state === 'pending');
        steps.push({
          env,
          state: 'landed',
          at: run.since,
          commit: run.commit,
          approvedBy: logins(run.trailers[APPROVED_BY]),
          rollback: run.trailers[ROLLBACK] !== undefined,
          gates: carried?.gates ?? pendingBefore?.gates ?? null,
          words: null,
          prUrl: carried?.prUrl ?? pendingBefore?.prUrl ?? null,
          rolledBackAt: rolledBack ? (ender.since ?? null) : null,
          replacedAt: run.endedBy === null ? null : (ender?.since ?? null),
        });
      }
      for (const p of board.promotions.filter((x) => x.env === env && x.tag === tag)) {
        steps.push({
          env,
          state: 'pending',
          at: null,
          commit: p.pr.headSha,
          approvedBy: p.approvals.by,
          rollback: p.kind === 'rollback',
          gates: gateVerdict(p),
          words: p.words,
          prUrl: p.pr.url,
          rolledBackAt: null,
          replacedAt: null,
        });
      }
    }
    const pushedAt = board.lastPush?.tag === tag ? board.lastPush.at : (before?.pushedAt ?? null);
    return { tag, pushedAt, steps: steps.slice(0, 50) };
  });
}
