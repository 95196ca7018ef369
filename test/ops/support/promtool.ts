import { spawnSync } from 'node:child_process';

/** Runs the real `promtool` (Debian package `prometheus`); `input` goes to its stdin. */
export function promtool(args: readonly string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
