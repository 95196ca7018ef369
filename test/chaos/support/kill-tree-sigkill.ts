/**
 * SIGKILL for promobot and every process it started (its git commands), as when the container dies: promobot runs
 * as the container's PID 1, and when PID 1 dies the kernel kills everything in its PID namespace. `kill()` of
 * `promobot-process.ts` kills the node process alone, and a `git push` it had started lives on as an orphan and
 * finishes the push (curl even retries the POST on a fresh connection when the first one is cut), so a push meant
 * never to reach Gitea would reach it after all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { PromobotProcess } from './promobot-process.js';

const readProc = (pid: string, file: string): string => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    // Gone meanwhile, or not ours to read.
    return '';
  }
};

/** `pid → parent pid` of every process now; `stat` is `pid (comm) state ppid ...`, and comm may hold spaces. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(name, 'stat');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isFinite(ppid)) map.set(Number(name), ppid);
  }
  return map;
}

/** The node process of this promobot: a child of this test process, started with `PORT=<its port>`. */
function promobotPid(port: number, all: Map<number, number>): number | undefined {
  for (const [pid, ppid] of all) {
    if (ppid !== process.pid) continue;
    if (!readProc(String(pid), 'cmdline').includes('main.ts')) continue;
    if (readProc(String(pid), 'environ').split('\0').includes(`PORT=${port}`)) return pid;
  }
  return undefined;
}

function descendants(root: number, all: Map<number, number>): number[] {
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const [child, ppid] of all) {
      if (ppid === pid) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/**
 * Kills promobot and its descendants at once; resolves once promobot is gone, with how many of its children (git
 * commands in flight) died with it. The node process is stopped first, so it cannot see a child die and act on it.
 */
export async function killWithChildren(proc: PromobotProcess): Promise<number> {
  const all = parents();
  const root = promobotPid(proc.port, all);
  if (root === undefined) {
    await proc.kill();
    return 0;
  }
  process.kill(root, 'SIGSTOP');
  const children = descendants(root, parents());
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await proc.kill();
  return children.length;
}
