import {
  formatScope,
  formatStopCommand,
  type StopCommand,
  type StopOutcome,
  type StopRecord,
} from '../governance/global-stop.js';
import { DNS_LABEL, MAX_HOLD_REASON } from '../promotion/pull-request-state/command.js';
import { commandLines } from './command-lines.js';
import { MAX_COMMANDS_PER_COMMENT, MAX_COMMENT_LENGTH } from './parse-commands.js';

/**
 * The global stop's commands as written on a deploy-repo issue (the stop itself, who may and what it holds are
 * governance/global-stop.ts): the grammar, and the lines of the one reply. Pure.
 *
 *   /hold all [reason]  /hold app=<app> [reason]  /hold env=<env> [reason]  /hold app=<app> env=<env> [reason]
 *   /unhold <the same scope>
 */

export interface ParsedStop {
  line: number;
  text: string;
  command: StopCommand;
}
export interface StopProblem {
  line: number;
  text: string;
  name: 'hold' | 'unhold';
  message: string;
}

const USAGE = 'use /hold all, /hold app=<app>, /hold env=<env> or /hold app=<app> env=<env>, then a reason';

type LineOutcome =
  { kind: 'command'; command: StopCommand } | { kind: 'invalid'; name: 'hold' | 'unhold'; message: string };

function parseStopLine(name: 'hold' | 'unhold', rest: string): LineOutcome {
  const words = rest
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  let app: string | null = null;
  let env: string | null = null;
  let all = false;
  let taken = 0;
  for (const word of words) {
    const m = /^(app|env)=(.*)$/.exec(word);
    if (word === 'all' && taken === 0) all = true;
    else if (m && !all) {
      const [, key, value = ''] = m;
      if (!DNS_LABEL.test(value))
        return {
          kind: 'invalid',
          name,
          message: `${JSON.stringify(value)} is not ${key === 'app' ? 'an app' : 'an environment'} name: lowercase letters, digits and "-"`,
        };
      if ((key === 'app' ? app : env) !== null)
        return { kind: 'invalid', name, message: `${key}= is given twice; ${USAGE}` };
      if (key === 'app') app = value;
      else env = value;
    } else break;
    taken += 1;
  }
  if (taken === 0)
    return {
      kind: 'invalid',
      name,
      message:
        words.length === 0
          ? `on an issue, /${name} needs a scope: ${USAGE}`
          : `${JSON.stringify(words[0])} is not a scope: ${USAGE}`,
    };
  const scope = { app, env };
  // The reason is the rest of the line as written, after the scope words.
  const reason = rest.trim().split(/\s+/).slice(taken).join(' ');
  if (name === 'unhold') {
    if (reason.length > 0)
      return {
        kind: 'invalid',
        name,
        message: `/unhold takes only the scope to lift (/unhold ${formatScope(scope)}); got ${JSON.stringify(reason)} after it`,
      };
    return { kind: 'command', command: { name, scope } };
  }
  if (reason.length > MAX_HOLD_REASON)
    return {
      kind: 'invalid',
      name,
      message: `the reason has ${reason.length} characters; keep it to ${MAX_HOLD_REASON}`,
    };
  return { kind: 'command', command: { name, scope, reason: reason.length > 0 ? reason : null } };
}

/**
 * The stop commands of a comment on an issue, and the `/hold` and `/unhold` lines whose arguments are wrong. Lines
 * are read as PR commands are (`commandLines`: not in code, quotes or HTML comments); the same command twice counts
 * once. Other commands and typos are left to the PR command reading. Never throws.
 */
export function parseStopCommands(body: string): { commands: ParsedStop[]; problems: StopProblem[] } {
  const commands: ParsedStop[] = [];
  const problems: StopProblem[] = [];
  // The same caps as a PR's commands: a sender cannot make promobot write, look up or notify without bound.
  if (body.length > MAX_COMMENT_LENGTH) return { commands, problems };
  const seen = new Set<string>();
  for (const { line, text } of commandLines(body)) {
    const match = /^\/(hold|unhold)(?:\s(.*))?$/.exec(text);
    if (!match) continue;
    const name = match[1] as 'hold' | 'unhold';
    const outcome = parseStopLine(name, match[2] ?? '');
    const key = JSON.stringify(outcome.kind === 'command' ? outcome.command : { text });
    if (seen.has(key)) continue;
    seen.add(key);
    if (seen.size > MAX_COMMANDS_PER_COMMENT) {
      problems.push({
        line,
        text,
        name,
        message: `not read, nor any line after it: at most ${String(MAX_COMMANDS_PER_COMMENT)} stop commands are read per comment`,
      });
      break;
    }
    if (outcome.kind === 'command') commands.push({ line, text, command: outcome.command });
    else problems.push({ line, text, name: outcome.name, message: outcome.message });
  }
  return { commands, problems };
}

/** The line of the reply to one stop command. */
export function renderStopLine(
  command: StopCommand,
  result: { outcome: StopOutcome } | { refused: string },
  stops: readonly StopRecord[],
): string {
  const written = `\`${formatStopCommand(command).replace(/`/g, "'")}\``;
  if ('refused' in result) return `- ❌ ${written}: ${result.refused}`;
  const scope = formatScope(command.scope);
  const what = scope === 'all' ? 'every promotion of this deploy repo' : `every promotion of ${scope}`;
  if (command.name === 'hold')
    return `- ✅ ${written}: ${what} is held (prepared and gated, never merged) until a writer comments \`/unhold ${scope}\` on an issue`;
  if (result.outcome === 'unchanged') {
    const known = stops.map((s) => formatScope(s.scope));
    return `- ➖ ${written}: no stop of ${scope} was in force${known.length === 0 ? '' : ` (in force: ${known.join('; ')})`}; nothing changed`;
  }
  return `- ✅ ${written}: the stop of ${scope} is lifted; held promotions merge by themselves if approved and green`;
}

/** The reply line to a `/hold` or `/unhold` line whose arguments are wrong. */
export function renderStopProblem(problem: StopProblem): string {
  return `- ❌ \`${problem.text.replace(/`/g, "'")}\`: ${problem.message}`;
}

/** The stop commands in a comment's text, for the rebuild of the stops from the host's comments. */
export const stopCommandsIn = (body: string): readonly StopCommand[] =>
  parseStopCommands(body).commands.map((c) => c.command);
