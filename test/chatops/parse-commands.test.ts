import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ParseResult, parseCommands } from '../../src/chatops/index.js';
import { type Command } from '../../src/promotion/pull-request-state/index.js';

function names(body: string): Command[] {
  return parseCommands(body).commands.map((c) => c.command);
}

describe('chatops/parseCommands()', () => {
  describe('finding command lines', () => {
    it('takes a command on any line of the comment', () => {
      const result = parseCommands('Looks good to me.\n/approve\nthanks!');
      expect(result.commands).toEqual([
        { line: 2, text: '/approve', command: { name: 'approve', cancel: false } },
      ]);
      expect(result.problems).toEqual([]);
    });

    it('takes several commands, in order', () => {
      expect(names('/hold waiting for INC-42\n/gates\n/status')).toEqual([
        { name: 'hold', reason: 'waiting for INC-42' },
        { name: 'gates' },
        { name: 'status' },
      ]);
    });

    it('handles Windows line endings', () => {
      expect(parseCommands('LGTM\r\n/approve\r\n/hold  after lunch \r\n').commands).toEqual([
        { line: 2, text: '/approve', command: { name: 'approve', cancel: false } },
        { line: 3, text: '/hold  after lunch', command: { name: 'hold', reason: 'after lunch' } },
      ]);
    });

    it('accepts up to three spaces of indentation but not an indented code block', () => {
      expect(names('   /approve')).toEqual([{ name: 'approve', cancel: false }]);
      expect(names('    /approve')).toEqual([]);
      expect(names('\t/approve')).toEqual([]);
    });

    it('ignores a line that does not start with /', () => {
      expect(names('please /approve this')).toEqual([]);
    });

    it('ignores paths and other slashes that are not command-shaped', () => {
      expect(parseCommands('/usr/bin/env node\n// a comment\n/\n/ approve\n/1')).toEqual({
        commands: [],
        problems: [],
      });
    });
  });

  describe('code, quotes and HTML comments', () => {
    it.each([
      ['a ``` fence', '```\n/approve\n```'],
      ['a ~~~ fence', '~~~\n/approve\n~~~'],
      ['a longer fence that a shorter run does not close', '````\n```\n/approve\n````'],
      ['a fence with an info string', '```bash\n/approve\n```'],
      ['a fence indented by three spaces', '   ```\n/approve\n   ```'],
      ['a fence inside a list item', '- try this:\n  ```\n  /approve\n  ```'],
      ['an unclosed fence', 'example:\n```\n/approve'],
      ['inline code', '`/approve`'],
      ['inline code spanning lines', 'run `\n/approve\n` to approve'],
      ['inline code with a double backtick', 'run ``x\n/approve` y``'],
      ['a block quote', '> /approve'],
      ['a nested block quote', '> > /approve'],
      ['an indented block quote', '   > /approve'],
      ['the lazy continuation of a quote', '> can you\n/approve'],
      ['an HTML comment on one line', '<!-- /approve -->'],
      ['an HTML comment over several lines', '<!--\n/approve\n-->'],
      ['an HTML comment inside a paragraph', 'text <!-- hidden\n/approve\n--> more'],
      ['an HTML comment with blank lines', '<!--\n\n/approve\n\n-->'],
      ['a <pre> block', '<pre>\n/approve\n</pre>'],
    ])('ignores a command inside %s', (_what, body) => {
      expect(names(body)).toEqual([]);
    });

    it('takes commands again after the code block, quote or comment ends', () => {
      expect(names('```\n/hold\n```\n/approve')).toEqual([{ name: 'approve', cancel: false }]);
      expect(names('> /hold\n\n/approve')).toEqual([{ name: 'approve', cancel: false }]);
      // A code block inside a quote ends with the quote: the next plain line is not a lazy continuation.
      expect(names('> ```\n> /hold\n/approve')).toEqual([{ name: 'approve', cancel: false }]);
      expect(names('> ```\n> /hold\n> ```\n> more\n/approve')).toEqual([]);
      expect(names('<!--\n/hold\n-->\n/approve')).toEqual([{ name: 'approve', cancel: false }]);
      expect(names('run `x` and\n/approve')).toEqual([{ name: 'approve', cancel: false }]);
    });

    it('does not take a line of backticks with more backticks after it as a fence', () => {
      // "```x```" is an inline code span, so the next line is plain text.
      expect(names('```x```\n/approve')).toEqual([{ name: 'approve', cancel: false }]);
    });

    it('treats an unmatched backtick as a literal character', () => {
      expect(names('it`s fine\n/approve')).toEqual([{ name: 'approve', cancel: false }]);
    });

    it('drops an HTML comment from the end of a command line', () => {
      expect(names('/hold flaky gates <!-- internal -->')).toEqual([{ name: 'hold', reason: 'flaky gates' }]);
    });
  });

  describe('unknown commands', () => {
    it.each([
      ['/aprove', 'approve'],
      ['/approev', 'approve'],
      ['/stauts', 'status'],
      ['/rolback prod', 'rollback'],
      ['/unhodl', 'unhold'],
      ['/halp', 'help'],
      ['/gate', 'gates'],
    ])('suggests the nearest command for %s', (body, suggestion) => {
      const [problem] = parseCommands(body).problems;
      expect(problem).toMatchObject({ kind: 'unknown', line: 1, suggestion });
    });

    it('treats /Approve as unknown, since commands are lowercase, and suggests /approve', () => {
      expect(parseCommands('/Approve')).toEqual({
        commands: [],
        problems: [{ kind: 'unknown', line: 1, text: '/Approve', word: 'Approve', suggestion: 'approve' }],
      });
    });

    it('suggests nothing when no command is near', () => {
      expect(parseCommands('/deploy-everything').problems).toEqual([
        { kind: 'unknown', line: 1, text: '/deploy-everything', word: 'deploy-everything', suggestion: null },
      ]);
    });

    it('asks for a space when a command is glued to punctuation', () => {
      expect(parseCommands('/approve!').problems).toEqual([
        {
          kind: 'invalid',
          line: 1,
          text: '/approve!',
          name: 'approve',
          message: 'put a space between /approve and what follows it',
        },
      ]);
    });
  });

  describe('arguments', () => {
    it('reads /approve cancel', () => {
      expect(names('/approve cancel')).toEqual([{ name: 'approve', cancel: true }]);
    });

    it('reads /hold with and without a reason', () => {
      expect(names('/hold')).toEqual([{ name: 'hold', reason: null }]);
      expect(names('/hold  `INC-7` is open ')).toEqual([{ name: 'hold', reason: '`INC-7` is open' }]);
    });

    it('reads every form of /rollback', () => {
      expect(names('/rollback')).toEqual([{ name: 'rollback', env: null, tag: null }]);
      expect(names('/rollback prod')).toEqual([{ name: 'rollback', env: 'prod', tag: null }]);
      expect(names('/rollback to 1a2b3c4')).toEqual([{ name: 'rollback', env: null, tag: '1a2b3c4' }]);
      expect(names('/rollback prod to v1.2.3_rc-1')).toEqual([
        { name: 'rollback', env: 'prod', tag: 'v1.2.3_rc-1' },
      ]);
    });

    it('reads /promote <env>', () => {
      expect(names('/promote staging')).toEqual([{ name: 'promote', env: 'staging' }]);
    });

    it.each([
      ['/promote', 'name the environment to promote into: /promote <env>'],
      ['/promote Prod', '"Prod" is not an environment name: names are lowercase'],
      [
        '/promote prod_eu',
        '"prod_eu" is not an environment name: use lowercase letters, digits and "-", starting and ending with a letter or digit',
      ],
      ['/promote prod staging', '/promote takes one environment; got "prod staging"'],
      ['/rollback prod to latest', '"latest" moves: name a pinned tag, such as a git sha'],
      ['/rollback to', '"to" needs a tag after it: use /rollback [<env>] [to <tag>]'],
      ['/rollback prod to sha256:abcd', '"sha256:abcd" is a digest: name a tag'],
      ['/rollback to -abc', '"-abc" is not an image tag: a tag cannot start with "-"'],
      [
        '/rollback to ab/cd',
        '"ab/cd" is not an image tag: "/" is not allowed (letters, digits, "_", "." and "-")',
      ],
      [
        `/rollback to ${'a'.repeat(129)}`,
        `"${'a'.repeat(129)}" is not an image tag: at most 128 characters, this one has 129`,
      ],
      ['/rollback prod staging', 'use /rollback [<env>] [to <tag>]; got "prod staging"'],
      ['/approve now', '/approve takes no argument, or "cancel" to withdraw an approval; got "now"'],
      ['/unhold please', '/unhold takes no arguments; got "please"'],
      [`/hold ${'x'.repeat(281)}`, 'the reason has 281 characters; keep it to 280'],
    ])('explains what is wrong with %s', (body, message) => {
      const result = parseCommands(body);
      expect(result.commands).toEqual([]);
      expect(result.problems).toEqual([expect.objectContaining({ kind: 'invalid', line: 1, message })]);
    });
  });

  describe('bounds', () => {
    it('counts the same command twice in one comment once', () => {
      expect(names('/approve\n/approve\n/approve')).toEqual([{ name: 'approve', cancel: false }]);
    });

    it('takes at most 10 commands and says how many it left out', () => {
      const body = Array.from({ length: 13 }, (_, i) => `/hold reason ${i}`).join('\n');
      const result = parseCommands(body);
      expect(result.commands).toHaveLength(10);
      expect(result.problems).toEqual([{ kind: 'too-many', limit: 10, ignored: 3 }]);
    });

    it.each([
      ['HTML comments', `/hold ${'<!--x-->'.repeat(8000)}`],
      ['backtick runs of every length', Array.from({ length: 300 }, (_, i) => '`'.repeat(i + 1)).join(' ')],
      ['alternating backticks and commands', '`\n/a\n'.repeat(16_000)],
      ['alternating fences and commands', '```\n/a\n'.repeat(10_000)],
      ['nested list markers', `${'- '.repeat(30)}x\n`.repeat(1000)],
    ])('reads a comment of 64 KiB full of %s quickly', (_what, text) => {
      const started = performance.now();
      parseCommands(text.slice(0, 65_536));
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('takes no command from a comment that is too long', () => {
      const result = parseCommands(`/approve\n${'x'.repeat(70_000)}`);
      expect(result).toEqual({
        commands: [],
        problems: [{ kind: 'too-long', limit: 65_536, length: 70_009 }],
      });
    });
  });

  describe('properties', () => {
    it('never throws, whatever the comment says', () => {
      const markdownish = fc.stringMatching(/^[\s\S]*$/);
      const pieces = fc.array(
        fc.oneof(
          fc.constantFrom(
            '/approve',
            '/hold x',
            '```',
            '~~~',
            '`',
            '> ',
            '<!--',
            '-->',
            '\r\n',
            '\n',
            '    ',
            '/',
          ),
          fc.string(),
          fc.string({ unit: 'binary' }),
        ),
        { maxLength: 40 },
      );
      fc.assert(
        fc.property(
          fc.oneof(
            markdownish,
            pieces.map((p) => p.join('')),
          ),
          (body) => {
            const result = parseCommands(body);
            expect(result.commands.length).toBeLessThanOrEqual(10);
            expect(ParseResult.parse(result)).toEqual(result);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('finds no command in text whose every line is inside a fenced code block', () => {
      const fence = fc.record({
        char: fc.constantFrom('`', '~'),
        length: fc.integer({ min: 3, max: 6 }),
        indent: fc.integer({ min: 0, max: 3 }),
        // A backtick fence's info string cannot hold a backtick (that would make the line inline code).
        info: fc.constantFrom('', 'bash', ' yaml title="x"', '/approve'),
      });
      const line = fc.oneof(
        fc.constantFrom(
          '/approve',
          '/hold now',
          '/rollback prod to abc1234',
          '',
          '> /approve',
          '<!--',
          '-->',
          '   /approve',
          '`/approve`',
        ),
        fc.string().map((s) => s.replace(/[\r\n]/g, '')),
        fc.string({ unit: 'binary' }).map((s) => `/${s.replace(/[\r\n]/g, '')}`),
      );
      fc.assert(
        fc.property(
          fence,
          fc.array(line, { maxLength: 20 }),
          fc.boolean(),
          fc.boolean(),
          (f, lines, closed, crlf) => {
            const run = f.char.repeat(f.length);
            const opener = `${' '.repeat(f.indent)}${run}${f.info}`;
            // A line of the fence character at least as long as the opener would close the block early.
            const inside = lines.filter((l) => !new RegExp(`^\\s*\\${f.char}{${f.length},}\\s*$`).test(l));
            const all = [opener, ...inside, ...(closed ? [run] : [])];
            expect(parseCommands(all.join(crlf ? '\r\n' : '\n')).commands).toEqual([]);
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});
