import { formatNumber } from './evaluate.js';
import {
  seriesName,
  type GateEvaluation,
  type RoundEvidence,
  type Thresholds,
  type Verdict,
} from './evidence.js';
import { sampleNumber, type SampleText } from './prometheus-response.js';
import { describeGateState, plannedRounds, type GateState, type GateStatus } from './rounds.js';

/** The commit status context gates report under. */
export const GATES_STATUS_CONTEXT = 'promobot/gates';

/** Hidden first line of the one gates comment per PR, so the bot finds it again and edits it in place. */
export const GATES_COMMENT_MARKER = '<!-- promobot:gates -->';

/** Is this comment body the bot's gates comment? */
export function isGatesComment(body: string): boolean {
  return body.trimStart().startsWith(GATES_COMMENT_MARKER);
}

export interface RenderReportInput {
  state: GateState;
  /** The latest round; absent before the first one. */
  evidence?: RoundEvidence | undefined;
  /** Prometheus as people reach it in a browser (may differ from the URL the bot queries). */
  prometheusUrl: string;
  app?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * The markdown of the gates comment: the marker, the soak's status and round, then one section per gate with its
 * query (linked to Prometheus's graph page at the evaluation time) and a table of series — value, threshold,
 * baseline, traffic, verdict and why. Values from Prometheus are escaped, so a hostile label cannot inject markdown.
 */
export function renderReport(input: RenderReportInput): string {
  const { state, evidence } = input;
  const lines: string[] = [GATES_COMMENT_MARKER];
  const where =
    input.app !== undefined
      ? ` for ${cell(input.app)}${input.to !== undefined ? ` → ${cell(input.to)}` : ''}`
      : '';
  lines.push(`### ${STATUS_ICON[state.status]} Gates${where}: ${state.status}`, '');
  lines.push(`**${cell(describeGateState(state))}**`, '');
  const measuredIn = input.from !== undefined ? ` · measured in ${cell(input.from)}` : '';
  lines.push(
    `Round ${state.round} of ${plannedRounds(state)}${measuredIn} · passes in a row: ${state.consecutivePasses} of ` +
      `${state.passes} needed · failing rounds: ${state.failures} (fails at ${state.failureLimit})`,
  );
  if (!evidence) {
    lines.push('', '_No round evaluated yet._');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`Last round at ${evidence.evaluatedAt}: **${evidence.outcome}** — ${cell(evidence.reason)}`);
  for (const gate of evidence.gates)
    lines.push('', ...renderGate(gate, input.prometheusUrl, evidence.evaluatedAt));
  return `${lines.join('\n')}\n`;
}

/** The `promobot/gates` commit status for a soak state (description ≤ 140 characters). */
export function gatesCommitStatus(state: GateState): {
  context: string;
  state: GateStatus;
  description: string;
} {
  return { context: GATES_STATUS_CONTEXT, state: state.status, description: describeGateState(state) };
}

/**
 * A link to the query in Prometheus's graph page, table tab, at the evaluation time.
 *
 * @example
 * graphUrl('http://prometheus:9090', 'up', '2026-01-02T03:04:05Z')
 * // http://prometheus:9090/graph?g0.expr=up&g0.tab=1&g0.moment_input=2026-01-02%2003%3A04%3A05
 */
export function graphUrl(prometheusUrl: string, expr: string, at?: string | undefined): string {
  let url = `${prometheusUrl.replace(/\/+$/, '')}/graph?g0.expr=${encodeQuery(expr)}&g0.tab=1`;
  const time = at === undefined ? Number.NaN : Date.parse(at);
  if (!Number.isNaN(time)) {
    // The UI reads `moment_input` as UTC "YYYY-MM-DD HH:mm:ss".
    const moment = new Date(time).toISOString().slice(0, 19).replace('T', ' ');
    url += `&g0.moment_input=${encodeQuery(moment)}`;
  }
  return url;
}

/** encodeURIComponent leaves `()'*!`; parentheses would end a markdown link, so they are encoded too. */
function encodeQuery(text: string): string {
  return encodeURIComponent(text).replace(
    /[()'*!]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const STATUS_ICON: Record<GateStatus, string> = { pending: '⏳', success: '✅', failure: '❌' };
const VERDICT_ICON: Record<Verdict, string> = { pass: '✅', fail: '❌', inconclusive: '❔' };

/** One gate's section of a report: heading, links to Prometheus, the query, and its table of series. */
export function renderGate(gate: GateEvaluation, prometheusUrl: string, at: string): string[] {
  const lines = [`#### ${VERDICT_ICON[gate.verdict]} ${cell(gate.gate)}: ${gate.verdict}`, ''];
  const links = [`[query](${graphUrl(prometheusUrl, gate.query, at)})`];
  if (gate.baselineQuery) links.push(`[baseline](${graphUrl(prometheusUrl, gate.baselineQuery, at)})`);
  if (gate.trafficQuery) links.push(`[traffic](${graphUrl(prometheusUrl, gate.trafficQuery, at)})`);
  lines.push(`${cell(gate.reason)} · open in Prometheus: ${links.join(' · ')}`, '');
  lines.push(...codeBlock(gate.query), '');
  lines.push('| Series | Value | Threshold | Baseline | Traffic | Verdict | Why |');
  lines.push('|---|---:|---|---:|---:|---|---|');
  const threshold = describeThresholds(gate.thresholds);
  for (const s of gate.series) {
    const traffic =
      s.traffic === null
        ? '—'
        : `${show(s.traffic)}${gate.trafficMin !== undefined ? ` (≥ ${gate.trafficMin})` : ''}`;
    lines.push(
      `| ${cell(seriesName(s.labels))} | ${show(s.value)} | ${cell(threshold)} | ${show(s.baseline)} | ${cell(traffic)} | ` +
        `${VERDICT_ICON[s.verdict]} ${s.verdict} | ${cell(s.reason)} |`,
    );
  }
  return lines;
}

function describeThresholds(t: Thresholds): string {
  const parts: string[] = [];
  if (t.max !== undefined) parts.push(`≤ ${t.max}`);
  if (t.min !== undefined) parts.push(`≥ ${t.min}`);
  if (t.maxRatio !== undefined) parts.push(`≤ ${t.maxRatio}× baseline`);
  if (t.maxIncrease !== undefined) parts.push(`≤ baseline + ${t.maxIncrease}`);
  return parts.join('; ') || '—';
}

function show(value: SampleText | null): string {
  if (value === null) return '—';
  return formatNumber(sampleNumber(value));
}

/** Text safe inside a markdown table cell: no HTML, no table breaks, no formatting. */
export function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ')
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

function codeBlock(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}promql`, text, fence];
}
