import type { CommitStatus } from '../../scm/types.js';
import type { RolloutGate } from '../rollout-gate.js';

/** The first line of promobot's rollout comment on a promotion PR. */
export const ROLLOUT_COMMENT_MARKER = '<!-- promobot:rollout -->';

/** Commit status descriptions are cut at 140 characters by GitHub; Gitea keeps more, but the PR view does not. */
const DESCRIPTION_MAX = 140;

/** `promobot/rollout` for a PR whose source environment is `from`. */
export function rolloutStatus(from: string, gate: RolloutGate): Omit<CommitStatus, 'context'> {
  switch (gate.state) {
    case 'verified':
      return {
        state: 'success',
        description: cut(`${from} runs ${short(gate.tag)} since ${new Date(gate.verifiedAt).toISOString()}`),
      };
    case 'waiting':
      return { state: 'pending', description: cut(gate.reason) };
    case 'failed':
      return { state: 'failure', description: cut(gate.reason) };
  }
}

/**
 * The rollout comment: what the promotion waits for, or why it is blocked, with Argo CD's own words. Messages
 * from Argo CD are shown as code, so nothing in them renders as a mention, a link or markup.
 */
export function renderRolloutComment(from: string, gate: RolloutGate): string {
  const lines = [ROLLOUT_COMMENT_MARKER, `### Rollout of ${code(gate.tag)} in ${from}`, ''];
  if (gate.state === 'verified') {
    lines.push(
      `✅ Verified running since ${new Date(gate.verifiedAt).toISOString()}. The soak counts from then, and the gates measure ${from} after it.`,
    );
  } else if (gate.state === 'waiting') {
    lines.push(
      `⏳ Waiting: ${code(gate.reason)}.`,
      '',
      `Until ${from} is verified running the candidate, the soak has not started, no gate round runs and nothing merges this PR.`,
    );
  } else {
    lines.push(`❌ Failed: ${code(gate.reason)}.`, '');
    if (gate.evidence.syncMessage) lines.push(`- sync: ${code(gate.evidence.syncMessage)}`);
    if (gate.evidence.healthMessage) lines.push(`- health: ${code(gate.evidence.healthMessage)}`);
    if (gate.evidence.resource) lines.push(`- unhealthy resource: ${code(gate.evidence.resource)}`);
    lines.push(
      '',
      `This promotion is blocked: nothing merges it, \`/approve\` included, until a newer candidate is verified running in ${from}.`,
    );
  }
  return lines.join('\n');
}

function cut(text: string): string {
  return text.length <= DESCRIPTION_MAX ? text : `${text.slice(0, DESCRIPTION_MAX - 1)}…`;
}

function short(tag: string): string {
  return /^[0-9a-f]{40,64}$/.test(tag) ? tag.slice(0, 7) : tag;
}

/** Inline code that no backtick or line break in `text` can close. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, 2000)}\``;
}

/**
 * The `/status` line of a promotion whose source `from` verifies, and whether the rollout holds the merge: only a
 * verification of this very candidate (`tag`) lets it go.
 */
export function describeRollout(
  from: string,
  tag: string,
  gate: RolloutGate | null,
): { held: boolean; line: string } {
  if (gate === null || gate.tag !== tag)
    return { held: true, line: `⏳ ${from} is not verified running ${code(tag)} yet` };
  if (gate.state === 'verified')
    return {
      held: false,
      line: `✅ ${from} runs ${code(tag)} since ${new Date(gate.verifiedAt).toISOString()} (verified)`,
    };
  return {
    held: true,
    line: `${gate.state === 'failed' ? '❌ failed' : '⏳ waiting'}: ${code(gate.reason)}`,
  };
}
