import { createHash } from 'node:crypto';
import { errorMessage } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { readPolicyFiles } from './load-policies.js';
import { PolicyLoadError, type PolicyProblem } from './policy-problem.js';
import type { PromotionPolicy } from './schema.js';
import { validatePolicyFiles } from './validate-policy-files.js';

export interface PolicyStoreOptions {
  /** Directory of the policy files (`PROMOBOT_POLICIES`). */
  dir: string;
  logger: Logger;
}

export type ReloadResult =
  | { status: 'applied'; policies: readonly PromotionPolicy[] }
  /** The files are byte for byte those of the current set. */
  | { status: 'unchanged'; policies: readonly PromotionPolicy[] }
  /** Something is wrong: the last good set stays in force. */
  | { status: 'rejected'; problems: readonly PolicyProblem[] };

export interface WatchOptions {
  /** How often the directory is read again. */
  intervalMs: number;
  /** Stops watching when aborted (as does the function `watch` returns). */
  signal?: AbortSignal;
}

export interface PolicyStore {
  /**
   * Reads and validates the policies for start-up. Throws {@link PolicyLoadError} listing every problem, so
   * the service never starts on a policy it would misread.
   */
  load(): Promise<readonly PromotionPolicy[]>;
  /**
   * Reads the policies again (on SIGHUP, or from {@link PolicyStore.watch}). The new set replaces the current one
   * only when it is entirely valid; otherwise every problem is logged and the last good set stays.
   */
  reload(): Promise<ReloadResult>;
  /** The set in force. Throws before the first successful {@link PolicyStore.load}. */
  current(): readonly PromotionPolicy[];
  /**
   * Reloads whenever the files change, by reading the directory every `intervalMs`. Polling rather than
   * `fs.watch`: a Kubernetes ConfigMap update swaps a symlinked folder, which file watchers miss. A change is
   * applied once two reads in a row agree (so within two intervals); a broken edit is logged once, not on every
   * tick. Returns a function that stops watching.
   */
  watch(options: WatchOptions): () => void;
  /** Calls `listener` with each newly applied set. Returns a function that unsubscribes. */
  onChange(listener: (policies: readonly PromotionPolicy[]) => void): () => void;
}

/**
 * A store of the policies of one directory, made per service: it holds the last good set and swaps in a new
 * one only when the whole directory validates.
 *
 * @example
 * const store = createPolicyStore({ dir: config.policiesDir, logger });
 * await store.load();
 * process.on('SIGHUP', () => void store.reload());
 * const stop = store.watch({ intervalMs: 10_000 });
 */
export function createPolicyStore(options: PolicyStoreOptions): PolicyStore {
  const logger = options.logger.child({ component: 'policy-store', dir: options.dir });
  let policies: readonly PromotionPolicy[] | undefined;
  let appliedFingerprint: string | undefined;
  let seenFingerprint: string | undefined;
  const listeners = new Set<(policies: readonly PromotionPolicy[]) => void>();
  // One read at a time, so a slow reload never overwrites a newer one.
  let queue: Promise<unknown> = Promise.resolve();

  const serialize = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Reads and validates; applies when valid. `quietIfSeen`: the watcher's way to log a broken edit once. */
  const refresh = async (quietIfSeen: boolean, given?: PolicyFiles): Promise<ReloadResult> => {
    const read = given ?? (await readPolicyFiles(options.dir));
    const fingerprint = fingerprintOf(read.files, read.problems);
    if (policies !== undefined && fingerprint === appliedFingerprint) {
      seenFingerprint = fingerprint;
      return { status: 'unchanged', policies };
    }
    const result = validatePolicyFiles(read.files);
    const problems = [...read.problems, ...result.problems];
    const alreadyReported = quietIfSeen && fingerprint === seenFingerprint;
    seenFingerprint = fingerprint;
    if (problems.length > 0) {
      if (!alreadyReported) {
        for (const p of problems) {
          logger.warn({ file: p.file, line: p.line, column: p.column, problem: p.message }, 'policy problem');
        }
        logger.error(
          { problems: problems.length, keeping: policies?.length ?? 0 },
          'policies rejected: keeping the last good set',
        );
      }
      return { status: 'rejected', problems };
    }
    policies = result.policies;
    appliedFingerprint = fingerprint;
    logger.info(summarize(result.policies, read.files.length), 'policies applied');
    for (const listener of listeners) {
      try {
        listener(result.policies);
      } catch (error) {
        logger.error({ err: errorMessage(error) }, 'policy change listener failed');
      }
    }
    return { status: 'applied', policies: result.policies };
  };

  return {
    load: () =>
      serialize(async () => {
        const result = await refresh(false);
        if (result.status === 'rejected') throw new PolicyLoadError(result.problems);
        return result.policies;
      }),

    reload: () => serialize(() => refresh(false)),

    current: () => {
      if (policies === undefined) throw new Error('policies are not loaded yet: call load() first');
      return policies;
    },

    watch: ({ intervalMs, signal }) => {
      let busy = false;
      let pending: string | undefined;
      // A change is applied once two reads in a row agree, so a file caught half-written is never applied.
      const tick = async (): Promise<void> => {
        const read = await readPolicyFiles(options.dir);
        const fingerprint = fingerprintOf(read.files, read.problems);
        if (fingerprint === appliedFingerprint || fingerprint === seenFingerprint) {
          pending = undefined;
          return;
        }
        if (fingerprint !== pending) {
          pending = fingerprint;
          return;
        }
        pending = undefined;
        await refresh(true, read);
      };
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        serialize(tick)
          .catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'policy reload failed'))
          .finally(() => {
            busy = false;
          });
      }, intervalMs);
      // The watcher alone never keeps the process alive.
      timer.unref();
      const stop = () => {
        clearInterval(timer);
        signal?.removeEventListener('abort', stop);
      };
      if (signal?.aborted) stop();
      else signal?.addEventListener('abort', stop, { once: true });
      return stop;
    },

    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

type PolicyFiles = Awaited<ReturnType<typeof readPolicyFiles>>;

function fingerprintOf(
  files: readonly { path: string; text: string }[],
  problems: readonly PolicyProblem[],
): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.path}\0${file.text}\0`);
  for (const p of problems) hash.update(`${p.file}\0${p.message}\0`);
  return hash.digest('hex');
}

function summarize(policies: readonly PromotionPolicy[], files: number) {
  return {
    files,
    policies: policies.length,
    apps: policies.reduce((n, p) => n + p.spec.apps.length, 0),
    environments: policies.reduce((n, p) => n + p.spec.environments.length, 0),
    repos: [...new Set(policies.map((p) => p.spec.deployRepo.repo))],
  };
}
