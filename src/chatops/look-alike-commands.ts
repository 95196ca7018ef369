import { parseCommands, type CommandProblem, type ParseResult } from './parse-commands.js';

/**
 * Letters of other scripts that look like the Latin letters of the command names (Cyrillic and Greek), mapped to
 * them. Not a full confusables table: enough for every letter of every command name.
 */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  һ: 'h',
  ԁ: 'd',
  ӏ: 'l',
  ԛ: 'q',
  ԝ: 'w',
  ѵ: 'v',
  ɡ: 'g',
  ո: 'n',
  ս: 'u',
  ʟ: 'l',
  ɩ: 'i',
  α: 'a',
  ε: 'e',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  ν: 'v',
  κ: 'k',
  ι: 'i',
};

/**
 * The body as a careless reader sees it: compatibility forms folded (a fullwidth `／`, ligatures), invisible format
 * characters dropped (zero-width spaces and joiners, direction marks, soft hyphens), and look-alike letters of other
 * scripts turned into the Latin ones. Line breaks are kept, so line numbers match the body's. Pure.
 */
export function foldLookAlikes(body: string): string {
  return body
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .replace(/[^\n\x20-\x7e]/g, (c) => LOOK_ALIKES[c] ?? c);
}

/**
 * Lines that read as a command only once look-alike characters are folded (`/hоld` with a Cyrillic `о`, a
 * zero-width space before `/hold`, a fullwidth `／hold`): each is a problem, answered as an unknown command with
 * the command it looks like, and never carried out — someone who meant `/hold` must learn that promobot did not
 * hold, and a look-alike must not pass for a command its writer can deny having typed. Pure.
 */
export function lookAlikeProblems(body: string, parsed: ParseResult): CommandProblem[] {
  const folded = foldLookAlikes(body);
  if (folded === body) return [];
  const seen = new Set([
    ...parsed.commands.map((c) => c.line),
    ...parsed.problems.map((p) => ('line' in p ? p.line : -1)),
  ]);
  const lines = body.split('\n');
  return parseCommands(folded)
    .commands.filter((c) => !seen.has(c.line))
    .map((c) => ({
      kind: 'unknown' as const,
      line: c.line,
      text: (lines[c.line - 1] ?? c.text).trim().slice(0, 200),
      // As written (invisible characters included), so the answer never reads as a mere upper-case slip.
      word: (lines[c.line - 1] ?? '').trim().split(/\s/u)[0] ?? '',
      suggestion: c.command.name,
    }));
}
