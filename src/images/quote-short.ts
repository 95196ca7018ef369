/**
 * A value for an error message: JSON-quoted so newlines and quotes show, and cut short so that a 10 KB hostile
 * value does not flood a log line or a PR comment.
 */
export function quoteShort(value: string, max = 40): string {
  return value.length <= max
    ? JSON.stringify(value)
    : `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}
