import { ENV_VARS, type EnvVar } from './schema.js';

/** The lines around the generated section of README.md; everything between them is {@link renderConfigReference}. */
export const REFERENCE_START =
  '<!-- config-reference:start (generated from src/config/schema.ts ENV_VARS) -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The configuration reference as a Markdown table, one row per variable of {@link ENV_VARS}, in its order. Pure, so
 * README.md can hold it verbatim and a test can fail when the two drift apart.
 *
 * @example
 * renderConfigReference() // "| Variable | Default | Description |\n|---|---|---|\n| `PORT` | `8080` | ..."
 */
export function renderConfigReference(variables: readonly EnvVar[] = ENV_VARS): string {
  const rows = variables.map((v) => {
    const notes: string[] = [];
    if (v.secret) notes.push(`Also read from a file named by \`${v.name}_FILE\`.`);
    if (v.list) notes.push('Several values separated by commas (one per line in the file), for rotation.');
    const description = [v.description, ...notes].join(' ');
    const fallback = v.default === undefined ? '—' : `\`${v.default}\``;
    return `| \`${v.name}\` | ${cell(fallback)} | ${cell(description)} |`;
  });
  return ['| Variable | Default | Description |', '|---|---|---|', ...rows].join('\n');
}

/**
 * `readme` with the text between the markers replaced by the generated reference; throws when a marker is missing.
 * Pure: the README test compares its output with the file, and a person can paste it in.
 */
export function withConfigReference(readme: string, reference: string = renderConfigReference()): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) {
    throw new Error(`README has no section between "${REFERENCE_START}" and "${REFERENCE_END}"`);
  }
  return `${readme.slice(0, start + REFERENCE_START.length)}\n${reference}\n${readme.slice(end)}`;
}
