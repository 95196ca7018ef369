import type { RoundEvidence } from '../evidence.js';
import { cell, renderGate } from '../render-report.js';
import { WATCH_COMMENT_MARKER, watchCommitStatus, type WatchState, type WatchStatus } from './watch-state.js';

const ICON: Record<WatchStatus, string> = { watching: '👀', healthy: '✅', failed: '❌', inconclusive: '❔' };

/**
 * The markdown of the one watch comment on a merged promotion PR: the marker, where the watch stands, and the
 * latest round's gate tables (the same as the gates comment's).
 */
export function renderWatchReport(input: {
  state: WatchState;
  evidence: RoundEvidence;
  prometheusUrl: string;
  app: string;
  env: string;
}): string {
  const { state, evidence } = input;
  const lines = [
    WATCH_COMMENT_MARKER,
    `### ${ICON[state.status]} Watch of ${cell(input.app)} in ${cell(input.env)}: ${state.status}`,
    '',
    `**${cell(watchCommitStatus(state).description)}**`,
    '',
    `Round ${state.round} · passed ${state.passes} · failed ${state.failures} (rolls back at ${state.failureLimit}) · ` +
      `inconclusive ${state.inconclusive} · until ${new Date(state.endsAt).toISOString()}`,
    `Last round at ${evidence.evaluatedAt}: **${evidence.outcome}** — ${cell(evidence.reason)}`,
  ];
  for (const gate of evidence.gates)
    lines.push('', ...renderGate(gate, input.prometheusUrl, evidence.evaluatedAt));
  return `${lines.join('\n')}\n`;
}
