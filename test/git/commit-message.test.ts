import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors/index.js';
import { formatCommitMessage, parseTrailers } from '../../src/git/index.js';
import { GIT_TEST_ENV } from '../support/git.js';

const evidence = {
  'Promobot-App': 'chat-ui',
  'Promobot-Environment': 'dev',
  'Promobot-Tag': '3f9c2ab',
  'Promobot-Digest': 'sha256:' + 'a'.repeat(64),
  'Promobot-Event': 'harbor:2f6a1c8e-delivery',
  'Promobot-Policy': 'chat',
};

/** What git itself reads as the trailers of a message. */
function gitTrailers(message: string): string {
  return execFileSync('git', ['interpret-trailers', '--parse'], {
    input: message,
    env: GIT_TEST_ENV,
    encoding: 'utf8',
  });
}

describe('git/commit messages', () => {
  describe('formatCommitMessage()', () => {
    it('puts the trailers in their own last paragraph, in the order given', () => {
      expect(
        formatCommitMessage('promote(chat-ui): dev 1a2b3c4 → 3f9c2ab', 'Pushed to Harbor.', evidence),
      ).toBe(
        [
          'promote(chat-ui): dev 1a2b3c4 → 3f9c2ab',
          '',
          'Pushed to Harbor.',
          '',
          'Promobot-App: chat-ui',
          'Promobot-Environment: dev',
          'Promobot-Tag: 3f9c2ab',
          `Promobot-Digest: sha256:${'a'.repeat(64)}`,
          'Promobot-Event: harbor:2f6a1c8e-delivery',
          'Promobot-Policy: chat',
          '',
        ].join('\n'),
      );
    });

    it('writes trailers that git itself reads back unchanged', () => {
      const message = formatCommitMessage('promote(chat-ui): dev', 'line one\n\nline two', evidence);
      const expected = Object.entries(evidence)
        .map(([k, v]) => `${k}: ${v}\n`)
        .join('');
      expect(gitTrailers(message)).toBe(expected);
    });

    it.each([
      ['a line break', 'abc\nPromobot-Tag: latest'],
      ['a carriage return', 'abc\rPromobot-Tag: latest'],
      ['a Unicode line separator', 'abc\u2028Promobot-Tag: latest'],
      ['a NUL', 'abc\0'],
      ['an escape sequence', 'abc\u001b[31m'],
      ['leading blanks', ' abc'],
      ['nothing at all', ''],
      ['10 KB', 'a'.repeat(10_240)],
    ])('refuses a trailer value with %s', (_why, value) => {
      expect(() => formatCommitMessage('subject', '', { 'Promobot-Tag': value })).toThrow(PermanentError);
    });

    it('refuses keys that are not trailer tokens, a multi-line subject and a body that fakes a trailer', () => {
      expect(() => formatCommitMessage('s', '', { 'Promobot Tag': 'x' })).toThrow(/not a trailer token/);
      expect(() => formatCommitMessage('s', '', { 'Promobot-Tag:': 'x' })).toThrow(/not a trailer token/);
      expect(() => formatCommitMessage('one\ntwo', '', {})).toThrow(/one line/);
      expect(() => formatCommitMessage('s', 'text\n\nPromobot-Tag: latest', {})).toThrow(
        /looks like a Promobot trailer/,
      );
    });
  });

  describe('parseTrailers()', () => {
    it('round-trips what formatCommitMessage wrote', () => {
      expect(parseTrailers(formatCommitMessage('subject', 'body\n\nmore body', evidence))).toEqual(evidence);
    });

    it('reads nothing from a subject alone or from a last paragraph of prose', () => {
      expect(parseTrailers('Promobot-App: chat-ui\n')).toEqual({});
      expect(parseTrailers('subject\n\nPromobot-App: chat-ui\nand then some prose\n')).toEqual({});
    });

    it('folds continuation lines and accepts CRLF messages', () => {
      expect(parseTrailers('s\r\n\r\nPromobot-Event: a\r\n  b\r\nSigned-off-by: x <x@y>\r\n')).toEqual({
        'Promobot-Event': 'a b',
        'Signed-off-by': 'x <x@y>',
      });
    });
  });
});
