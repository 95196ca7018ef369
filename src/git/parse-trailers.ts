import type { Trailers } from './trailers.js';

const TRAILER_LINE = /^([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)[ \t]*:[ \t]*(.*?)\s*$/;

/**
 * Reads the trailers of a commit message: the last paragraph, when it is not the subject and every line of it
 * is `Key: value` (continuation lines, indented, are folded in as git does). Stricter than git's 25 % rule on
 * purpose: promobot writes only whole trailer blocks, and a paragraph of prose must not be read as evidence.
 * A key given twice keeps its last value.
 */
export function parseTrailers(message: string): Trailers {
  const paragraphs = message
    .replace(/\r\n/g, '\n')
    .trim()
    .split(/\n[ \t]*\n/);
  if (paragraphs.length < 2) return {};
  const last = paragraphs[paragraphs.length - 1] ?? '';
  const out: Trailers = {};
  let previous: string | undefined;
  for (const line of last.split('\n')) {
    if (/^[ \t]/.test(line) && previous !== undefined) {
      out[previous] = `${out[previous] ?? ''} ${line.trim()}`.trim();
      continue;
    }
    const match = TRAILER_LINE.exec(line);
    if (!match) return {};
    const [, key = '', value = ''] = match;
    out[key] = value;
    previous = key;
  }
  return out;
}
