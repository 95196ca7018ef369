import fc from 'fast-check';
import { MAX_COMMENT_LENGTH } from '../../../src/chatops/index.js';
import { COMMAND_NAMES, MAX_HOLD_REASON } from '../../../src/promotion/pull-request-state/index.js';

/**
 * Generated ChatOps comments that must change nothing, for the runtime harness (`test/chatops/runtime-harness.ts`):
 * its prod environment needs 2 approvals from team bootcamp/sre (carol, dave) or release-lead; alice may write but
 * not approve; mallory has no access; promobot is the bot.
 *
 * A comment is built from segments, each of one kind and each its own Markdown paragraph (blank lines between), so
 * what one segment is does not depend on its neighbours: prose never starts a line with `/` or holds a fence (an
 * HTML comment it leaves open can only hide more), and every fence, quote or HTML comment any other segment opens,
 * it closes. So the generator, not the parser under test, knows which lines may carry a command, and a parser that
 * let a quoted `/approve` through would fail the property.
 */

export const APPROVERS = ['release-lead', 'carol', 'dave'] as const;
/** Write permission, but not an approver of prod. */
export const WRITER = 'alice';
/** No access to the deploy repo. */
export const OUTSIDER = 'mallory';
export const PEOPLE: readonly string[] = [...APPROVERS, WRITER, OUTSIDER];
export const BOT = 'promobot';

/** `held`: the promotion PR with an approval and a hold; `fresh`: one nobody acted on; `foreign`: a person's PR. */
export type Target = 'held' | 'fresh' | 'foreign';

export const SEGMENT_KINDS = [
  'prose',
  'slashes',
  'typo',
  'wrong-case',
  'bad-arguments',
  'hidden',
  'lookalike',
  'refused',
] as const;
export type SegmentKind = (typeof SEGMENT_KINDS)[number];

export interface Segment {
  kind: SegmentKind;
  text: string;
  /** A command the line carries that `authorize` must refuse to this author, as `formatCommand` writes it. */
  refused?: string;
  /** The word of a misspelt or wrongly cased command: the reply must name the command meant. */
  typo?: string;
}

export interface GeneratedComment {
  target: Target;
  author: string;
  body: string;
  /** What the comment is made of; `huge`: longer than promobot reads, `valid`: real commands where none count. */
  kinds: (SegmentKind | 'huge' | 'valid')[];
  /** The commands that may be read from it: each must be refused. Any other command read is a failure. */
  refused: string[];
  typos: string[];
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';

const isCommandName = (word: string) => (COMMAND_NAMES as readonly string[]).includes(word);

const word = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,10}$/);
const tag = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/).filter((t) => t !== 'latest');
/** A well-formed environment name the policy does not have ("to" would read as `/rollback to <tag>`). */
const unknownEnv = fc
  .stringMatching(/^[a-z]([a-z0-9-]{0,14}[a-z0-9])?$/)
  .filter((e) => !['staging', 'prod', 'to'].includes(e));
const reason = fc
  .array(fc.stringMatching(/^[A-Za-z0-9#.:-]{1,12}$/), { minLength: 1, maxLength: 6 })
  .map((words) => words.join(' '));

/** Commands that change something, written as `formatCommand` writes them. */
const STATE_CHANGING: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '/approve',
    '/approve cancel',
    '/hold',
    '/unhold',
    '/gates',
    '/promote prod',
    '/promote staging',
    '/rollback',
    '/rollback prod',
  ),
  reason.map((r) => `/hold ${r}`),
  tag.map((t) => `/rollback to ${t}`),
  tag.map((t) => `/rollback prod to ${t}`),
);
/** Any well-formed command, for places where none may count (code, quotes, huge comments, foreign PRs, bots). */
export const VALID_COMMAND: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: STATE_CHANGING },
  { weight: 1, arbitrary: fc.constantFrom('/status', '/help') },
);

/** Refused to anyone: the policy has no such environment, or staging has no source to promote from. */
const POLICY_REFUSED: fc.Arbitrary<string> = fc.oneof(
  fc.constant('/promote staging'),
  unknownEnv.map((e) => `/promote ${e}`),
  unknownEnv.map((e) => `/rollback ${e}`),
  fc.tuple(unknownEnv, tag).map(([e, t]) => `/rollback ${e} to ${t}`),
);

/** Commands `authorize` refuses to `author` on a promotion PR into prod. */
export function refusedTo(author: string): fc.Arbitrary<string> {
  if (author === OUTSIDER) return fc.oneof(POLICY_REFUSED, STATE_CHANGING);
  if (author === WRITER) return fc.oneof(POLICY_REFUSED, fc.constant('/approve'));
  return POLICY_REFUSED;
}

/** Arbitrary text made safe to stand as its own paragraph: no line starts with `/`, no fence can open. */
export function asProse(text: string): string {
  return text
    .split(/\r\n?|\n/)
    .map((line) => (/^[ \t]*\//.test(line) ? `x${line}` : line))
    .join('\n')
    .replace(/`{3,}/g, '``')
    .replace(/~{3,}/g, '~~');
}

const PROSE_SAMPLES = [
  'LGTM',
  'looks good to me 👍',
  'please approve this one',
  'see /approve in the docs',
  'hold on, I will check the dashboards',
  'a/b/c',
  'https://gitea.example/bootcamp/notes-deploy/pulls/1',
  'approve',
  'Approve?',
  '<details><summary>log</summary>\n\nnothing here\n\n</details>',
  '| a | b |\n|---|---|\n| 1 | 2 |',
  '- [ ] checked staging\n- [x] read the report',
];

const prose: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom(...PROSE_SAMPLES) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 120 }) },
    // Any code point, lone surrogates included (not `fc.string({ unit: 'binary' })`, whose set-up maps all of them).
    {
      weight: 1,
      arbitrary: fc
        .array(fc.nat({ max: 0x10ffff }), { minLength: 1, maxLength: 60 })
        .map((points) => points.map((p) => String.fromCodePoint(p)).join('')),
    },
  )
  .map(asProse);

/** Lines that start with `/` but are not command-shaped: paths, comments, a bare slash, a number. */
const SLASHES = [
  '/usr/bin/env node',
  '// not a command',
  '/ approve',
  '/',
  '/1234',
  '/-/approve',
  '//approve',
  '/approve/',
  '/promote/prod',
  '/_hold',
];

/** One edit away from a command name: a letter inserted, dropped, replaced, or two swapped. */
function misspell(name: string, at: number, op: 'insert' | 'delete' | 'replace' | 'swap', letter: string) {
  const i = at % name.length;
  switch (op) {
    case 'insert':
      return name.slice(0, i) + letter + name.slice(i);
    case 'delete':
      return name.slice(0, i) + name.slice(i + 1);
    case 'replace':
      return name.slice(0, i) + letter + name.slice(i + 1);
    case 'swap':
      return i + 1 < name.length
        ? name.slice(0, i) + name.charAt(i + 1) + name.charAt(i) + name.slice(i + 2)
        : '';
  }
}

const typoWord = fc
  .tuple(
    fc.constantFrom(...COMMAND_NAMES),
    fc.nat(),
    fc.constantFrom<('insert' | 'delete' | 'replace' | 'swap')[]>('insert', 'delete', 'replace', 'swap'),
    fc.constantFrom(...LOWER),
  )
  .map(([name, at, op, letter]) => misspell(name, at, op, letter))
  .filter((w) => w.length > 0 && !isCommandName(w));

const wrongCaseWord = fc
  .tuple(fc.constantFrom(...COMMAND_NAMES), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }))
  .map(([name, upper]) => [...name].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''))
  .filter((w) => w !== w.toLowerCase());

const trailingArguments = fc.option(
  fc.array(word, { minLength: 1, maxLength: 3 }).map((ws) => ` ${ws.join(' ')}`),
  { nil: '' },
);

/** Names that are not environments: uppercase, underscores, a leading dash, non-ASCII, too long. */
const BAD_ENVS = ['Prod', 'PROD', 'my_env', '-prod', 'prod-', 'prød', 'st@ging', 'a'.repeat(64)];
/** Not a pinned tag: moving, a digest, a bad first character, a forbidden character, too long. */
const BAD_TAGS = [
  'latest',
  `sha256:${'ab'.repeat(32)}`,
  '-abc1234',
  '.abc1234',
  'a$b',
  'a:b',
  'x'.repeat(129),
];

const badArguments: fc.Arbitrary<string> = fc.oneof(
  word.filter((w) => w !== 'cancel').map((w) => `/approve ${w}`),
  word.map((w) => `/approve cancel ${w}`),
  fc.tuple(fc.constantFrom('unhold', 'gates', 'status', 'help'), word).map(([n, w]) => `/${n} ${w}`),
  fc.constant('/promote'),
  fc.tuple(word, word).map(([a, b]) => `/promote ${a} ${b}`),
  fc.constantFrom(...BAD_ENVS).map((e) => `/promote ${e}`),
  fc.constantFrom(...BAD_ENVS).map((e) => `/rollback ${e}`),
  fc
    .tuple(word, word)
    .filter(([a]) => a !== 'to')
    .map(([a, b]) => `/rollback ${a} ${b}`),
  fc.constantFrom('/rollback to', '/rollback prod to', '/rollback to a to b'),
  fc
    .tuple(fc.option(fc.constant('prod ')), fc.constantFrom(...BAD_TAGS))
    .map(([env, t]) => `/rollback ${env ?? ''}to ${t}`),
  fc.integer({ min: MAX_HOLD_REASON + 1, max: MAX_HOLD_REASON + 120 }).map((n) => `/hold ${'x'.repeat(n)}`),
  fc
    .tuple(
      fc.constantFrom(...COMMAND_NAMES),
      fc.constantFrom('.', ',', '!', ':', ';', '?', ')'),
      trailingArguments,
    )
    .map(([n, p, rest]) => `/${n}${p}${rest}`),
);

/** Ways to write a command so that a reader sees code, a quote, a comment or plain text, not a command. */
const HIDERS: ((command: string) => string)[] = [
  (c) => `\`\`\`\n${c}\n\`\`\``,
  (c) => `~~~yaml\n${c}\n~~~`,
  (c) => `- try this:\n  \`\`\`\n  ${c}\n  \`\`\``,
  (c) => `    ${c}`,
  (c) => `\t${c}`,
  (c) => `> ${c}`,
  (c) => `> > ${c}`,
  (c) => `> as discussed\n${c}`,
  (c) => `> \`\`\`\n> ${c}\n> \`\`\``,
  (c) => `<!-- ${c} -->`,
  (c) => `<!--\n${c}\n-->`,
  (c) => `note <!--\n${c}\n-->`,
  (c) => `\`${c}\``,
  (c) => `run \`\n${c}\n\` later`,
  (c) => `please run ${c}`,
  (c) => `\\${c}`,
  (c) => `<pre>\n${c}\n</pre>`,
];

const HOMOGLYPHS: Record<string, string> = {
  a: 'а',
  c: 'с',
  e: 'е',
  o: 'о',
  p: 'р',
  s: 'ѕ',
  h: 'һ',
  l: 'ӏ',
  u: 'υ',
  g: 'ɡ',
  r: 'г',
};
const SLASH_LOOKALIKES = ['／', '∕', '⁄', '⧸', '＼'];
const INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u2060', '\u00ad'];
const LEADING = ['\u200b', '\u2060', '\ufeff', '\u00a0', '\u3000'];

/**
 * A command made unreadable by characters that look alike: another slash, a Cyrillic letter, an invisible one in
 * the word or before the slash. (An invisible one right after the word is left out: `\ufeff` and `\u00a0` are
 * blanks to JavaScript, so `/approve\u00a0` is `/approve`, as it should be.)
 */
function lookAlike(command: string, how: number, at: number): string {
  const end = command.indexOf(' ') < 0 ? command.length : command.indexOf(' ');
  const name = command.slice(1, end);
  const rest = command.slice(end);
  switch (how % 4) {
    case 0:
      return `${SLASH_LOOKALIKES[at % SLASH_LOOKALIKES.length] ?? '／'}${command.slice(1)}`;
    case 1: {
      const spots = [...name].flatMap((ch, i) => (HOMOGLYPHS[ch] ? [i] : []));
      const i = spots[at % spots.length] ?? 0;
      return `/${name.slice(0, i)}${HOMOGLYPHS[name.charAt(i)] ?? 'а'}${name.slice(i + 1)}${rest}`;
    }
    case 2: {
      const i = 1 + (at % (name.length - 1));
      return `/${name.slice(0, i)}${INVISIBLE[at % INVISIBLE.length] ?? '\u200b'}${name.slice(i)}${rest}`;
    }
    default:
      return `${LEADING[at % LEADING.length] ?? '\u200b'}${command}`;
  }
}

const lookalike: fc.Arbitrary<string> = fc
  .tuple(VALID_COMMAND, fc.nat(), fc.nat())
  .map(([c, how, at]) => lookAlike(c, how, at));

/** A command-ish line, sometimes with a line of prose before it in the same paragraph. */
const withLead = (line: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.option(fc.constantFrom('LGTM, but:', 'hmm', 'ok then', 'Thanks!'), { nil: null }), line)
    .map(([lead, text]) => (lead === null ? text : `${lead}\n${text}`));

function segment(author: string): fc.Arbitrary<Segment> {
  return fc.oneof(
    { weight: 3, arbitrary: prose.map((text): Segment => ({ kind: 'prose', text })) },
    { weight: 1, arbitrary: fc.constantFrom(...SLASHES).map((text): Segment => ({ kind: 'slashes', text })) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(typoWord, trailingArguments)
        .chain(([typo, rest]) =>
          withLead(fc.constant(`/${typo}${rest}`)).map((text): Segment => ({ kind: 'typo', text, typo })),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(wrongCaseWord, trailingArguments).chain(([typo, rest]) =>
        withLead(fc.constant(`/${typo}${rest}`)).map((text): Segment => ({
          kind: 'wrong-case',
          text,
          typo,
        })),
      ),
    },
    {
      weight: 3,
      arbitrary: withLead(badArguments).map((text): Segment => ({ kind: 'bad-arguments', text })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(VALID_COMMAND, fc.constantFrom(...HIDERS))
        .map(([c, hide]): Segment => ({ kind: 'hidden', text: hide(c) })),
    },
    { weight: 2, arbitrary: lookalike.map((text): Segment => ({ kind: 'lookalike', text })) },
    {
      weight: 2,
      arbitrary: withLead(refusedTo(author)).map((text): Segment => ({
        kind: 'refused',
        text,
        refused: text.split('\n').at(-1) ?? text,
      })),
    },
  );
}

const SEPARATORS = ['\n\n', '\r\n\r\n', '\n\n\n', '\n \t\n'];

function join(segments: readonly Segment[], separators: readonly string[]): string {
  return segments
    .map((s, i) => (i === 0 ? s.text : `${separators[i % separators.length] ?? '\n\n'}${s.text}`))
    .join('');
}

const separators = fc.array(fc.constantFrom(...SEPARATORS), { minLength: 1, maxLength: 4 });

/** Mostly a few segments; sometimes more lines than the 10 promobot reads. */
const segmentCount = fc.oneof(
  { weight: 9, arbitrary: fc.constant(5) },
  { weight: 1, arbitrary: fc.constant(14) },
);

function invalidBy(author: string): fc.Arbitrary<Omit<GeneratedComment, 'target'>> {
  return segmentCount
    .chain((max) => fc.tuple(fc.array(segment(author), { minLength: 1, maxLength: max }), separators))
    .map(([segments, seps]) => ({
      author,
      body: join(segments, seps),
      kinds: segments.map((s) => s.kind),
      refused: segments.flatMap((s) => (s.refused === undefined ? [] : [s.refused])),
      typos: segments.flatMap((s) => (s.typo === undefined ? [] : [s.typo])),
    }));
}

/** Longer than promobot reads: whatever it holds, even a valid `/approve` by an approver, counts for nothing. */
function hugeBy(author: string): fc.Arbitrary<Omit<GeneratedComment, 'target'>> {
  return fc
    .tuple(
      fc.array(
        fc.oneof(
          VALID_COMMAND,
          segment(author).map((s) => s.text),
        ),
        { maxLength: 4 },
      ),
      fc.integer({ min: 1, max: 20_000 }),
      fc.constantFrom(
        'lorem ipsum dolor sit amet\n',
        'x',
        '🙂',
        '/approve\n',
        'ok\n/aprove\n',
        '/hold\n/gates\n',
      ),
    )
    .map(([lines, extra, filler]) => {
      const head = lines.join('\n');
      const missing = MAX_COMMENT_LENGTH + extra - head.length;
      const body = `${head}\n${filler.repeat(Math.ceil(missing / filler.length) + 1)}`;
      return { author, body, kinds: ['huge'], refused: [], typos: [] };
    });
}

/** Well-formed commands, where none may count: on a PR promobot did not open, or by a bot. */
function validBy(author: string): fc.Arbitrary<Omit<GeneratedComment, 'target'>> {
  return fc.array(VALID_COMMAND, { minLength: 1, maxLength: 4 }).map((commands) => ({
    author,
    body: commands.join('\n'),
    kinds: ['valid'],
    refused: [],
    typos: [],
  }));
}

const promotionPr = fc.constantFrom<Target>('held', 'held', 'fresh');
/** The outsider and the writer have more to be refused, so they comment more often. */
const person = fc.constantFrom(...PEOPLE, OUTSIDER, OUTSIDER, WRITER);

/**
 * Comments that must change no state: invalid ones by people on promotion PRs (most), huge ones, and valid
 * commands where they do not count: on a PR promobot did not open, or by one of `bots`.
 */
export function invalidComments(bots: readonly string[]): fc.Arbitrary<GeneratedComment> {
  const on = (target: fc.Arbitrary<Target>, comment: fc.Arbitrary<Omit<GeneratedComment, 'target'>>) =>
    fc.tuple(target, comment).map(([t, c]): GeneratedComment => ({ ...c, target: t }));
  return fc.oneof(
    { weight: 80, arbitrary: on(promotionPr, person.chain(invalidBy)) },
    { weight: 4, arbitrary: on(promotionPr, person.chain(hugeBy)) },
    {
      weight: 8,
      arbitrary: on(
        fc.constant<Target>('foreign'),
        person.chain((p) => fc.oneof(validBy(p), invalidBy(p))),
      ),
    },
    {
      weight: 4,
      arbitrary: on(
        fc.constantFrom<Target>('held', 'fresh', 'foreign'),
        fc.constantFrom(...bots).chain(validBy),
      ),
    },
  );
}
