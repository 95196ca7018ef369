import { describe, expect, it } from 'vitest';
import { foldLookAlikes, lookAlikeProblems } from '../../src/chatops/look-alike-commands.js';
import { commentCommands } from '../../src/chatops/index.js';
import { parseCommands } from '../../src/chatops/parse-commands.js';

const read = (body: string) => commentCommands({ body, isPullRequest: true });

describe('chatops/lookAlikeProblems()', () => {
  it.each([
    ['a Cyrillic о', '/h\u043eld', 'hold'],
    ['a Cyrillic а', '/\u0430pprove', 'approve'],
    ['a Greek ο', '/unh\u03bfld', 'unhold'],
    ['a zero-width space before it', '\u200b/hold', 'hold'],
    ['a zero-width space inside it', '/ho\u200bld', 'hold'],
    ['a right-to-left override', '\u202e/hold', 'hold'],
    ['a fullwidth solidus', '\uff0fhold', 'hold'],
  ])('answers a command written with %s, and never carries it out', (_what, body, name) => {
    expect(parseCommands(body).commands).toEqual([]);
    const { commands, problems } = read(`looks fine\n${body}`);
    expect(commands).toEqual([]);
    expect(problems).toEqual([
      { kind: 'unknown', line: 2, text: body.trim(), word: expect.any(String), suggestion: name },
    ]);
    expect(problems[0]).not.toMatchObject({ word: name });
  });

  it('leaves plain commands, prose and code alone', () => {
    expect(read('/hold INC-1\n/approve')).toEqual(parseCommands('/hold INC-1\n/approve'));
    expect(lookAlikeProblems('Привет, всё хорошо', parseCommands('Привет, всё хорошо'))).toEqual([]);
    expect(read('```\n/h\u043eld\n```').problems).toEqual([]);
  });

  it('adds nothing for a line the plain reading already answered', () => {
    const body = '/hold\u200b';
    expect(read(body).problems).toEqual(parseCommands(body).problems);
  });

  it('keeps line breaks, so line numbers are the body’s', () => {
    expect(foldLookAlikes('a\u200b\n\uff0fhold\n').split('\n')).toEqual(['a', '/hold', '']);
  });
});
