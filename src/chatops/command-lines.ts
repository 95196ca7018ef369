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
  const nextRun = backtickRunFinder(text);
  // Once `-->` was not found after some point, it is not found after any later point either.
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
      const close = nextRun(run, i + run);
      if (close < 0) {
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

/**
 * Finds the next backtick run of exactly `length` starting at or after `from`, for `from` that never decreases
 * between calls. Runs are indexed once by length, so a comment full of unmatched runs stays linear.
 */
function backtickRunFinder(text: string): (length: number, from: number) => number {
  const starts = new Map<number, number[]>();
  for (const match of text.matchAll(/`+/g)) {
    const list = starts.get(match[0].length) ?? [];
    list.push(match.index);
    starts.set(match[0].length, list);
  }
  const cursor = new Map<number, number>();
  return (length, from) => {
    const list = starts.get(length);
    if (list === undefined) return -1;
    let at = cursor.get(length) ?? 0;
    while (at < list.length && (list[at] ?? 0) < from) at += 1;
    cursor.set(length, at);
    return list[at] ?? -1;
  };
}

/** Index of the span holding `at`, or -1; spans are sorted and disjoint, so a binary search does. */
function spanAt(spans: readonly Span[], at: number): number {
  let low = 0;
  let high = spans.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const span = spans[mid] as Span;
    if (at < span.start) high = mid - 1;
    else if (at >= span.end) low = mid + 1;
    else return mid;
  }
  return -1;
}

/** `text[start, end)` without the parts inside `hidden`. */
function visibleText(text: string, start: number, end: number, hidden: readonly Span[]): string {
  // First span ending after `start`, by binary search: a long paragraph can hold thousands of comments.
  let low = 0;
  let high = hidden.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((hidden[mid] as Span).end <= start) low = mid + 1;
    else high = mid;
  }
  let visible = '';
  let at = start;
  for (let i = low; i < hidden.length; i += 1) {
    const span = hidden[i] as Span;
    if (span.start >= end) break;
    visible += text.slice(at, Math.max(at, span.start));
    at = Math.max(at, span.end);
  }
  return at < end ? visible + text.slice(at, end) : visible;
}

function paragraphCommandLines(paragraph: readonly ParagraphLine[]): CommandLine[] {
  if (paragraph.length === 0) return [];
  const joined = paragraph.map((p) => p.text).join('\n');
  const { code, hidden } = inlineSpans(joined);
  const found: CommandLine[] = [];
  for (const p of paragraph) {
    const lead = /^[ \t]*/.exec(p.text)?.[0].length ?? 0;
    if (indentWidth(p.text) > 3 || p.text[lead] !== '/') continue;
    const start = p.offset + lead;
    if (spanAt(code, start) >= 0 || spanAt(hidden, start) >= 0) continue;
    const text = visibleText(joined, start, p.offset + p.text.length, hidden);
    found.push({ line: p.line, text: text.replace(/[ \t]+$/, '') });
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
  let quoteFence: Fence | null = null;

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
    // Any line but a quote line ends the quote, and a code block open inside it with it.
    if (!QUOTE.test(text)) quoteFence = null;
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
      if (quoteFence !== null) {
        if (closesFence(content, quoteFence)) quoteFence = null;
        quoteParagraph = false;
        return;
      }
      quoteFence = fenceOpener(content);
      quoteParagraph = quoteFence === null && !isBlank(content);
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
