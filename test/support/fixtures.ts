import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Webhook bodies captured from real deliveries (`test/fixtures/`) and the hosts' own API descriptions
 * (`test/contracts/`), inside the repository so a lone clone runs its tests. Never edited; tests build variants in
 * code. Each folder's SOURCES.md says where every file came from and holds its sha256.
 */
export const FIXTURES_DIR = join(TEST_DIR, 'fixtures');
export const CONTRACTS_DIR = join(TEST_DIR, 'contracts');

/** The raw bytes of a fixture, exactly as captured. */
export function fixtureBytes(path: string): Buffer {
  return readFileSync(join(FIXTURES_DIR, path));
}

/** A fixture parsed as JSON; `.jsonc` files have their `//` line comments removed first (as SOURCES.md says). */
export function fixtureJson<T = Record<string, unknown>>(path: string): T {
  let text = fixtureBytes(path).toString('utf8');
  if (path.endsWith('.jsonc')) text = stripLineComments(text);
  return JSON.parse(text) as T;
}

/** Removes `//` comments that stand alone on a line (the only kind the published CloudEvents sample has). */
export function stripLineComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
}
