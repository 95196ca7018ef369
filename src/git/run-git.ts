import { spawn } from 'node:child_process';
import { simpleGit } from 'simple-git';
import { PermanentError, TransientError } from '../errors/index.js';
import { scrubSecrets, type Logger } from '../logger/index.js';
import { classifyGitError } from './classify-git-error.js';

/** A push lost the race with another writer; the caller fetches, re-applies and pushes again. */
export class PushRejectedError extends TransientError {}

export interface GitRunnerOptions {
  cwd: string;
  env: Record<string, string>;
  /** Strings scrubbed from every message: the token and the header derived from it. */
  secrets: readonly string[];
  branch: string;
  timeoutMs: number;
  logger: Logger;
}

/** Runs one git command (with `input` on its stdin, for `fast-import`); resolves with its stdout. */
export type RunGit = (operation: string, args: readonly string[], input?: Buffer) => Promise<string>;

/**
 * The one place promobot spawns git (through simple-git): a fixed environment, a progress timeout, and failures
 * turned into {@link PushRejectedError}, {@link PermanentError} (with advice) or {@link TransientError}, their
 * messages scrubbed of credentials.
 */
export function createGitRunner(options: GitRunnerOptions): RunGit {
  const git = simpleGit({
    baseDir: options.cwd,
    maxConcurrentProcesses: 1,
    trimmed: false,
    // simple-git strips every GIT_* variable it is not told about; these are exactly the ones gitEnv sets.
    allowEnvironment: Object.keys(options.env),
    unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeConfigPaths: true },
    timeout: { block: options.timeoutMs },
    errors(error, result) {
      if (result.exitCode === 0 && error === undefined) return undefined;
      const text = [Buffer.concat(result.stdErr).toString(), Buffer.concat(result.stdOut).toString()]
        .filter((part) => part.trim() !== '')
        .join('\n');
      const detail = error instanceof Error ? error.message : '';
      return Buffer.from(text || detail || `exit code ${result.exitCode}`);
    },
  }).env(options.env);

  // simple-git has no stdin; the few commands that read one are spawned here, with the same environment.
  const withInput = (args: readonly string[], input: Buffer) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('git', [...args], { cwd: options.cwd, env: options.env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.stdin.on('error', () => undefined);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
        else {
          const text = Buffer.concat(err).toString('utf8').trim();
          reject(new Error(text || `exit code ${code ?? signal}`));
        }
      });
      child.stdin.end(input);
    });

  const once: RunGit = async (operation, args, input) => {
    const started = performance.now();
    try {
      const out = input === undefined ? await git.raw([...args]) : await withInput(args, input);
      options.logger.debug(
        { git: operation, ms: Math.round(performance.now() - started) },
        'git command finished',
      );
      return out;
    } catch (error) {
      const raw = error instanceof Error ? error.message : String(error);
      const output = scrubSecrets(raw, options.secrets).trim();
      const failure = classifyGitError(output, { operation, branch: options.branch });
      const message = `git ${operation} failed: ${output}`;
      options.logger.debug({ git: operation, failure: failure.kind, output }, 'git command failed');
      if (failure.kind === 'rejected') throw new PushRejectedError(message);
      if (failure.kind === 'permanent') throw new PermanentError(message, { advice: failure.advice });
      throw new TransientError(message);
    }
  };
  // The remote's transport may fail for a moment (a proxy's 502, a 429): a read or a push is asked again in place,
  // a few times, before the whole job is. A push whose answer was lost is safe to repeat: it is up to date.
  const NETWORK = new Set(['fetch', 'ls-remote', 'push']);
  return async (operation, args, input) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await once(operation, args, input);
      } catch (error) {
        const transient = error instanceof TransientError && !(error instanceof PushRejectedError);
        if (!NETWORK.has(operation) || !transient || attempt >= 4) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (attempt - 1)));
      }
    }
  };
}
