/** The offset where the line holding `offset` ends: its `\r\n` or `\n`, or the end of the text. */
export function lineEndAt(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  if (newline === -1) return text.length;
  return newline > 0 && text[newline - 1] === '\r' ? newline - 1 : newline;
}

/** The offset where the line holding `offset` starts. */
export function lineStartAt(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The line break the file uses at `offset` (or, failing that, its first one): `\r\n` stays `\r\n`. */
export function lineBreakAt(text: string, offset: number): string {
  const end = lineEndAt(text, offset);
  if (end < text.length) return text[end] === '\r' ? '\r\n' : '\n';
  return text.includes('\r\n') ? '\r\n' : '\n';
}
