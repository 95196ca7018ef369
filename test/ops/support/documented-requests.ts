/** An API call written in a README as `curl -X METHOD "URL" … --data-binary @- <<JSON … JSON`. */
export interface DocumentedRequest {
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
}

/**
 * The curl calls with a JSON heredoc body in `markdown`, their `$VARIABLES` replaced by `values` (an unknown
 * variable stays as written) before the body is parsed.
 */
export function documentedRequests(
  markdown: string,
  values: Readonly<Record<string, string>>,
): DocumentedRequest[] {
  const substitute = (text: string) =>
    text.replace(/\$([A-Z][A-Z0-9_]*)/g, (whole, name: string) => values[name] ?? whole);
  return [...markdown.matchAll(/curl [^\n]*-X (POST|PUT|PATCH) "([^"]+)"[^]*?<<JSON\n([^]*?)\nJSON\n/g)].map(
    (m) => ({
      method: m[1] ?? '',
      url: substitute(m[2] ?? ''),
      body: JSON.parse(substitute(m[3] ?? '')) as unknown,
    }),
  );
}
