/**
 * Finds the lines of a Markdown comment that a reader sees as plain text starting with `/`: the only lines that can
 * carry a command. Follows CommonMark (https://spec.commonmark.org/0.31.2/) where it decides what is code, quoted or
 * hidden, and errs towards "not a command" where the spec and this small scanner could disagree: a command must
 * never be set off by text its author meant as an example.
 *
 * Not a command line:
 * - anything inside a fenced code block (``` or ~~~, three or more, opener indented up to 3 spaces, also inside a
 *   list item); an unclosed fence runs to the end of the comment;
 * - anything inside an inline code span, including one that spans several lines of a paragraph;
 * - block quotes (`>`, nested), and the lazy continuation lines that CommonMark renders inside the quote;
 * - HTML comments (`<!-- … -->`, one line or many) and `<pre>`/`<script>`/`<style>`/`<textarea>` blocks;
 * - lines indented by 4 or more columns (an indented code block, or text a reader sees as indented).
 */

export interface CommandLine {
  /** 1-based line number in the comment. */
  line: number;
  /** The line without its indentation, trailing blanks or HTML comments, starting with `/`. */
  text: string;
}

interface Fence {
  char: '`' | '~';
  length: number;
  /** Column where the fence characters start; the closer may be indented up to 3 more. */
  indent: number;
}

type Block =
  | { kind: 'normal' }
  | { kind: 'fence'; fence: Fence }
  | { kind: 'html-comment' }
  | { kind: 'html-raw'; closer: RegExp };

interface ParagraphLine {
  line: number;
  text: string;
  /** Offset of the line in the paragraph's joined text. */
  offset: number;
}

const FENCE_OPENER = /^((?: {0,3})(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*)(`{3,}|~{3,})(.*)$/;
const QUOTE = /^ {0,3}>/;
const HTML_COMMENT_START = /^ {0,3}<!--/;
const HTML_RAW_START = /^ {0,3}<(pre|script|style|textarea)(?:[\s>]|$)/i;
const HTML_RAW_END = /<\/(?:pre|script|style|textarea)>/i;

/** Width of leading blanks, tabs to the next multiple of 4 as CommonMark counts them. */
function indentWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    if (ch === ' ') width += 1;
    else if (ch === '\t') width += 4 - (width % 4);
    else break;
  }
  return width;
}

/** Visual width of `text`, tabs to the next multiple of 4. */
function columnWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += ch === '\t' ? 4 - (width % 4) : 1;
  return width;
}

function isBlank(text: string): boolean {
  return /^[ \t]*$/.test(text);
}

function fenceOpener(text: string): Fence | null {
  const match = FENCE_OPENER.exec(text);
  if (!match) return null;
  const [, prefix = '', run = '', info = ''] = match;
  // A backtick "fence" whose info string holds a backtick is an inline code span, not a fence (CommonMark 4.5).
  if (run.startsWith('`') && info.includes('`')) return null;
  return { char: run.startsWith('`') ? '`' : '~', length: run.length, indent: columnWidth(prefix) };
}

function closesFence(text: string, fence: Fence): boolean {
  const trimmed = text.replace(/[ \t]+$/, '');
  const body = trimmed.replace(/^[ \t]+/, '');
  if (body.length < fence.length || indentWidth(trimmed) > fence.indent + 3) return false;
  for (const ch of body) if (ch !== fence.char) return false;
  return true;
}

/** The content of a quote line with every nested `>` marker removed. */
function quoteContent(text: string): string {
  return text.replace(/^(?: {0,3}> ?)+/, '');
}

interface Span {
  start: number;
  end: number;
}

/**
 * Code spans and HTML comments of one paragraph, by CommonMark's rules: a backtick run opens a span only when a run
 * of the same length follows; `<!--` hides text only up to a matching `-->`.
 */
function inlineSpans(text: string): { code: Span[]; hidden: Span[] } {
  const code: Span[] = [];
  const hidden: Span[] = [];
  // Once a run length (or `-->`) was not found after some point, it is not found after any later point either:
  // remembering that keeps pathological input linear instead of quadratic.
  const unmatchedRuns = new Set<number>();
  let commentUnclosed = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length && /[!-/:-@[-`{-~]/.test(text[i + 1] ?? '')) {
      i += 2;
      continue;
    }
    if (ch === '`') {
      let run = 1;
      while (text[i + run] === '`') run += 1;
      const close = unmatchedRuns.has(run) ? -1 : findRun(text, i + run, run);
      if (close < 0) {
        unmatchedRuns.add(run);
        i += run;
      } else {
        code.push({ start: i, end: close + run });
        i = close + run;
      }
      continue;
    }
    if (ch === '<' && text.startsWith('<!--', i) && !commentUnclosed) {
      const close = text.indexOf('-->', i + 2);
      if (close < 0) {
        commentUnclosed = true;
        i += 4;
      } else {
        hidden.push({ start: i, end: close + 3 });
        i = close + 3;
      }
      continue;
    }
    i += 1;
  }
  return { code, hidden };
}

/** Start of the next backtick run of exactly `length` at or after `from`, or -1. */
function findRun(text: string, from: number, length: number): number {
  let i = text.indexOf('`', from);
  while (i >= 0) {
    let run = 1;
    while (text[i + run] === '`') run += 1;
    if (run === length) return i;
    i = text.indexOf('`', i + run);
  }
  return -1;
}

function inside(spans: readonly Span[], at: number): boolean {
  return spans.some((span) => at >= span.start && at < span.end);
}

function paragraphCommandLines(paragraph: readonly ParagraphLine[]): CommandLine[] {
  if (paragraph.length === 0) return [];
  const joined = paragraph.map((p) => p.text).join('\n');
  const { code, hidden } = inlineSpans(joined);
  const found: CommandLine[] = [];
  for (const p of paragraph) {
    const lead = p.text.length - p.text.trimStart().length;
    if (indentWidth(p.text) > 3 || p.text[lead] !== '/') continue;
    const start = p.offset + lead;
    if (inside(code, start) || inside(hidden, start)) continue;
    let visible = '';
    for (let i = start; i < p.offset + p.text.length; i += 1) if (!inside(hidden, i)) visible += joined[i];
    found.push({ line: p.line, text: visible.replace(/[ \t]+$/, '') });
  }
  return found;
}

/**
 * The lines of `markdown` that start with `/` and that a reader sees as plain text.
 *
 * @example
 * commandLines('LGTM\n/approve\n```\n/hold\n```') // → [{ line: 2, text: '/approve' }]
 */
export function commandLines(markdown: string): CommandLine[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const found: CommandLine[] = [];
  let block: Block = { kind: 'normal' };
  let paragraph: ParagraphLine[] = [];
  let paragraphLength = 0;
  let quoteParagraph = false;

  const flush = (): void => {
    found.push(...paragraphCommandLines(paragraph));
    paragraph = [];
    paragraphLength = 0;
  };

  lines.forEach((text, index) => {
    const line = index + 1;
    switch (block.kind) {
      case 'fence':
        if (closesFence(text, block.fence)) block = { kind: 'normal' };
        return;
      case 'html-comment':
        if (text.includes('-->')) block = { kind: 'normal' };
        return;
      case 'html-raw':
        if (block.closer.test(text)) block = { kind: 'normal' };
        return;
      case 'normal':
        break;
    }
    if (isBlank(text)) {
      flush();
      quoteParagraph = false;
      return;
    }
    const fence = fenceOpener(text);
    if (fence) {
      flush();
      quoteParagraph = false;
      block = { kind: 'fence', fence };
      return;
    }
    if (HTML_COMMENT_START.test(text)) {
      flush();
      quoteParagraph = false;
      if (!text.slice(text.indexOf('<!--') + 2).includes('-->')) block = { kind: 'html-comment' };
      return;
    }
    if (HTML_RAW_START.test(text)) {
      flush();
      quoteParagraph = false;
      if (!HTML_RAW_END.test(text)) block = { kind: 'html-raw', closer: HTML_RAW_END };
      return;
    }
    if (QUOTE.test(text)) {
      flush();
      const content = quoteContent(text);
      quoteParagraph = !isBlank(content) && fenceOpener(content) === null;
      return;
    }
    // CommonMark's lazy continuation: a plain line right after a quoted paragraph is rendered inside the quote.
    if (quoteParagraph) return;
    if (paragraph.length === 0 && indentWidth(text) > 3) return;
    paragraph.push({ line, text, offset: paragraphLength });
    paragraphLength += text.length + 1;
  });
  flush();
  return found;
}
