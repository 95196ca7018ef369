/**
 * Reads a branch tip of a local bare repo straight from its ref files — no git process — so a bench can poll it
 * every few milliseconds without loading the machine it measures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The commit `refs/heads/<branch>` points at (loose ref first, then packed-refs), or null. */
export function readRef(bare: string, branch = 'main'): string | null {
  const name = `refs/heads/${branch}`;
  try {
    return readFileSync(join(bare, name), 'utf8').trim();
  } catch {
    // Not loose: a fresh clone keeps its refs in packed-refs.
  }
  try {
    for (const line of readFileSync(join(bare, 'packed-refs'), 'utf8').split('\n')) {
      const [sha, ref] = line.split(' ');
      if (ref === name && sha) return sha;
    }
  } catch {
    // no packed-refs either
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until the branch tip is no longer `from`; returns the new tip and when it was seen (performance.now()). */
export async function waitForRefChange(
  bare: string,
  from: string | null,
  options: { timeoutMs?: number; intervalMs?: number; branch?: string } = {},
): Promise<{ commit: string; at: number }> {
  const deadline = performance.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const commit = readRef(bare, options.branch);
    if (commit !== null && commit !== from) return { commit, at: performance.now() };
    if (performance.now() > deadline) throw new Error(`the branch of ${bare} did not move from ${from}`);
    await sleep(options.intervalMs ?? 2);
  }
}
