import { z } from 'zod';
import {
  COMMAND_NAMES,
  Command,
  CommandName,
  DNS_LABEL,
  MAX_HOLD_REASON,
  OCI_TAG,
  type EnvName,
  type RollbackTag,
} from '../promotion/pull-request-state/command.js';
import { commandLines } from './command-lines.js';
import { damerauLevenshtein } from './damerau-levenshtein.js';

/** More commands than this in one comment: the rest are not acted on (a pasted log is not a plan). */
export const MAX_COMMANDS_PER_COMMENT = 10;
/** GitHub's own limit on a comment body; Gitea has none, so promobot sets one. */
export const MAX_COMMENT_LENGTH = 65_536;

const Line = z.number().int().positive();

export const ParsedCommand = z.object({
  line: Line,
  /** The line as written, for replies. */
  text: z.string(),
  command: Command,
});
export type ParsedCommand = z.infer<typeof ParsedCommand>;

export const CommandProblem = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('unknown'),
    line: Line,
    text: z.string(),
    /** The word after `/`, as written. */
    word: z.string(),
    /** The nearest known command, when one is close enough to be a likely typo. */
    suggestion: CommandName.nullable(),
  }),
  z.object({
    kind: z.literal('invalid'),
    line: Line,
    text: z.string(),
    name: CommandName,
    /** What is wrong with the arguments, said so that the author can fix them. */
    message: z.string(),
  }),
  z.object({ kind: z.literal('too-many'), limit: z.number().int(), ignored: z.number().int().positive() }),
  z.object({ kind: z.literal('too-long'), limit: z.number().int(), length: z.number().int() }),
]);
export type CommandProblem = z.infer<typeof CommandProblem>;

export const ParseResult = z.object({
  commands: z.array(ParsedCommand),
  problems: z.array(CommandProblem),
});
export type ParseResult = z.infer<typeof ParseResult>;

export interface ParseOptions {
  maxCommands?: number;
  maxLength?: number;
}

type LineOutcome =
  | { kind: 'command'; command: Command }
  | { kind: 'invalid'; name: CommandName; message: string }
  | { kind: 'unknown'; word: string; suggestion: CommandName | null }
  | { kind: 'none' };

const WORD = /^[A-Za-z][A-Za-z0-9_-]*$/;

function quote(text: string): string {
  return JSON.stringify(text);
}

function envProblem(text: string): string | null {
  if (DNS_LABEL.test(text)) return null;
  if (DNS_LABEL.test(text.toLowerCase()))
    return `${quote(text)} is not an environment name: names are lowercase`;
  if (text.length > 63) return `${quote(text)} is not an environment name: at most 63 characters`;
  return `${quote(text)} is not an environment name: use lowercase letters, digits and "-", starting and ending with a letter or digit`;
}

function tagProblem(text: string): string | null {
  if (text === 'latest') return '"latest" moves: name a pinned tag, such as a git sha';
  if (OCI_TAG.test(text)) return null;
  if (/^sha256:/.test(text)) return `${quote(text)} is a digest: name a tag`;
  if (text.length > 128)
    return `${quote(text)} is not an image tag: at most 128 characters, this one has ${text.length}`;
  if (/^[.-]/.test(text)) return `${quote(text)} is not an image tag: a tag cannot start with "${text[0]}"`;
  const bad = [...text].find((ch) => !/[A-Za-z0-9._-]/.test(ch)) ?? '';
  return `${quote(text)} is not an image tag: ${quote(bad)} is not allowed (letters, digits, "_", "." and "-")`;
}

function noArguments(name: CommandName, args: readonly string[]): LineOutcome {
  if (args.length === 0) return { kind: 'command', command: Command.parse({ name }) };
  return { kind: 'invalid', name, message: `/${name} takes no arguments; got ${quote(args.join(' '))}` };
}

function parseRollback(args: readonly string[]): LineOutcome {
  const usage = 'use /rollback [<env>] [to <tag>]';
  const toAt = args.indexOf('to');
  const envArgs = toAt < 0 ? args : args.slice(0, toAt);
  const tagArgs = toAt < 0 ? [] : args.slice(toAt + 1);
  if (envArgs.length > 1 || tagArgs.length > 1) {
    return { kind: 'invalid', name: 'rollback', message: `${usage}; got ${quote(args.join(' '))}` };
  }
  if (toAt >= 0 && tagArgs.length === 0) {
    return { kind: 'invalid', name: 'rollback', message: `"to" needs a tag after it: ${usage}` };
  }
  const env = envArgs[0] ?? null;
  const tag = tagArgs[0] ?? null;
  const problem = (env === null ? null : envProblem(env)) ?? (tag === null ? null : tagProblem(tag));
  if (problem !== null) return { kind: 'invalid', name: 'rollback', message: problem };
  return {
    kind: 'command',
    command: { name: 'rollback', env: env as EnvName | null, tag: tag as RollbackTag | null },
  };
}

function parseArguments(name: CommandName, rest: string): LineOutcome {
  const args = rest.split(/\s+/).filter((arg) => arg.length > 0);
  switch (name) {
    case 'approve':
      if (args.length === 0) return { kind: 'command', command: { name, cancel: false } };
      if (args.length === 1 && args[0] === 'cancel')
        return { kind: 'command', command: { name, cancel: true } };
      return {
        kind: 'invalid',
        name,
        message: `/approve takes no argument, or "cancel" to withdraw an approval; got ${quote(args.join(' '))}`,
      };
    case 'hold': {
      const reason = rest.trim();
      if (reason.length > MAX_HOLD_REASON) {
        return {
          kind: 'invalid',
          name,
          message: `the reason has ${reason.length} characters; keep it to ${MAX_HOLD_REASON}`,
        };
      }
      return { kind: 'command', command: { name, reason: reason.length > 0 ? reason : null } };
    }
    case 'promote': {
      const [env, ...extra] = args;
      if (env === undefined) {
        return { kind: 'invalid', name, message: 'name the environment to promote into: /promote <env>' };
      }
      if (extra.length > 0) {
        return {
          kind: 'invalid',
          name,
          message: `/promote takes one environment; got ${quote(args.join(' '))}`,
        };
      }
      const problem = envProblem(env);
      if (problem !== null) return { kind: 'invalid', name, message: problem };
      return { kind: 'command', command: { name, env: env as EnvName } };
    }
    case 'rollback':
      return parseRollback(args);
    case 'unhold':
    case 'unfreeze':
    case 'gates':
    case 'status':
    case 'help':
      return noArguments(name, args);
  }
}

/** The known command nearest to `word`, when it is near enough to be a typo of it. */
export function nearestCommand(word: string): CommandName | null {
  // Longer than any command by more than two edits: nothing can be near.
  if (word.length > 10) return null;
  const lower = word.toLowerCase();
  let best: { name: CommandName; distance: number } | null = null;
  for (const name of COMMAND_NAMES) {
    const distance = damerauLevenshtein(lower, name);
    if (best === null || distance < best.distance) best = { name, distance };
  }
  if (best === null) return null;
  const allowed = best.name.length <= 4 ? 1 : 2;
  return best.distance <= allowed ? best.name : null;
}

function isCommandName(word: string): word is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(word);
}

function parseLine(text: string): LineOutcome {
  const match = /^\/(\S+)(.*)$/.exec(text);
  if (!match) return { kind: 'none' };
  const [, token = '', rest = ''] = match;
  if (!WORD.test(token)) {
    // `/approve.` is a command someone meant; `/usr/bin/env` or `//` is not a command at all.
    const lead = /^[A-Za-z]+/.exec(token)?.[0] ?? '';
    if (!isCommandName(lead) || token[lead.length] === '/') return { kind: 'none' };
    return { kind: 'invalid', name: lead, message: `put a space between /${lead} and what follows it` };
  }
  // A plain lookup, not a schema parse: a pasted log can hold thousands of unknown words.
  if (!isCommandName(token)) return { kind: 'unknown', word: token, suggestion: nearestCommand(token) };
  return parseArguments(token, rest);
}

/**
 * The commands in a newly created comment, and what is wrong with the lines that look like commands but are not.
 *
 * A command is a line starting with `/` that a reader sees as plain text: not in code, a quote or an HTML comment
 * (see {@link commandLines}). The same command twice counts once; at most `maxCommands` lines are taken; a comment
 * longer than `maxLength` carries no commands. Never throws.
 *
 * @example
 * parseCommands('Looks good.\r\n/approve\r\n/aprove')
 * // → { commands: [{ line: 2, text: '/approve', command: { name: 'approve', cancel: false } }],
 * //     problems: [{ kind: 'unknown', line: 3, text: '/aprove', word: 'aprove', suggestion: 'approve' }] }
 */
export function parseCommands(body: string, options: ParseOptions = {}): ParseResult {
  const maxCommands = options.maxCommands ?? MAX_COMMANDS_PER_COMMENT;
  const maxLength = options.maxLength ?? MAX_COMMENT_LENGTH;
  if (body.length > maxLength) {
    return { commands: [], problems: [{ kind: 'too-long', limit: maxLength, length: body.length }] };
  }
  const commands: ParsedCommand[] = [];
  const problems: CommandProblem[] = [];
  const seen = new Set<string>();
  let taken = 0;
  let ignored = 0;
  for (const { line, text } of commandLines(body)) {
    const outcome = parseLine(text);
    if (outcome.kind === 'none') continue;
    const key = JSON.stringify(outcome.kind === 'command' ? outcome.command : { text });
    if (seen.has(key)) continue;
    seen.add(key);
    if (taken >= maxCommands) {
      ignored += 1;
      continue;
    }
    taken += 1;
    if (outcome.kind === 'command') commands.push({ line, text, command: outcome.command });
    else if (outcome.kind === 'unknown')
      problems.push({ kind: 'unknown', line, text, word: outcome.word, suggestion: outcome.suggestion });
    else problems.push({ kind: 'invalid', line, text, name: outcome.name, message: outcome.message });
  }
  if (ignored > 0) problems.push({ kind: 'too-many', limit: maxCommands, ignored });
  return { commands, problems };
}
