import type { AppBoard } from './schema.js';
import { PROMOBOT_TRAILERS } from '../git/trailers.js';

/** Control characters (C0, DEL, C1): a value from outside must never move the terminal's cursor or colour. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const clean = (text: string) => text.replace(CONTROL, '?');
const short = (tag: string | null) => (tag === null ? '-' : tag.length > 14 ? `${tag.slice(0, 12)}…` : tag);

/** "3 min", "5 h", "2 d" since `since`; "?" when unknown. */
export function age(since: number | null, now: number): string {
  if (since === null) return '?';
  const s = Math.max(0, Math.round((now - since) / 1000));
  if (s < 90) return `${s} s`;
  if (s < 5_400) return `${Math.round(s / 60)} min`;
  if (s < 129_600) return `${Math.round(s / 3_600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

const pad = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
};

/**
 * The board as terminal text (`promobot status [app]`): one line per app with what each environment runs and since
 * when, each open promotion in words below it, and for one app its recent history. Every value from outside is
 * stripped of control characters. Pure.
 */
export function renderStatus(
  boards: readonly AppBoard[],
  environments: readonly string[],
  now: number,
  app?: string,
): string {
  if (boards.length === 0)
    return app === undefined ? 'No app on the board yet.\n' : `No app named ${clean(app)} on the board.\n`;
  const lines = pad([
    ['APP', 'POLICY', ...environments.map((e) => e.toUpperCase())],
    ...boards.map((b) => [
      clean(b.app),
      clean(b.policy),
      ...environments.map((env) => {
        const cell = b.environments.find((e) => e.env === env);
        return cell ? `${clean(short(cell.tag))} (${age(cell.since, now)})` : '';
      }),
    ]),
  ]);
  const out: string[] = [lines[0]!];
  boards.forEach((b, i) => {
    out.push(lines[i + 1]!);
    for (const p of b.promotions)
      out.push(
        `  → ${clean(p.env)}: PR #${p.pr.number} ${clean(short(p.tag))} ${p.status}: ${clean(p.words)}`,
      );
  });
  if (app !== undefined)
    for (const b of boards) {
      out.push('', `History of ${clean(b.app)}:`);
      for (const h of b.history.slice(0, 10)) {
        const approved = h.trailers[PROMOBOT_TRAILERS.approvedBy];
        out.push(
          `  ${clean(h.env)}  ${clean(short(h.tag))}  ${age(h.since, now)} ago${h.endedBy === null ? ', running' : ''}` +
            (approved ? `, approved by ${clean(approved)}` : ''),
        );
      }
    }
  return `${out.join('\n')}\n`;
}
