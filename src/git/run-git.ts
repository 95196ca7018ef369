import { spawn } from 'node:child_process';
import { simpleGit, type SimpleGit } from 'simple-git';
import { exponentialDelay, PermanentError, TransientError } from '../errors/index.js';
import { scrubSecrets, type Logger } from '../logger/index.js';
import { classifyGitError } from './classify-git-error.js';

/** A push lost the race with another writer; the caller fetches, re-applies and pushes again. */
export class PushRejectedError extends TransientError {}

/** The server refused the credentials (401): a token that can change (an App's) is renewed and tried once more. */
export class CredentialsRefusedError extends PermanentError {}

/** What one git command runs with: its whole environment (the auth header included) and the strings to scrub. */
export interface GitCredentials {
  token: string;
  env: Record<string, string>;
  secrets: readonly string[];
}

/**
 * The credentials for the next command, asked before each one so a token that expires mid-run is replaced.
 * `refused` is the token the server just turned down: the source makes a new one if it can.
 */
export type CredentialSource = (refused?: string) => Promise<GitCredentials>;

export interface GitRunnerOptions {
  cwd: string;
  /** The environment of commands without credentials. */
  env: Record<string, string>;
  /** Strings scrubbed from every message (besides the credentials' own). */
  secrets: readonly string[];
  /** The current token, as environment and secrets; none for a remote without auth. */
  credentials?: CredentialSource | undefined;
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
  const makeGit = (env: Record<string, string>) =>
    simpleGit({
      baseDir: options.cwd,
      maxConcurrentProcesses: 1,
      trimmed: false,
      // simple-git strips every GIT_* variable it is not told about; these are exactly the ones gitEnv sets.
      allowEnvironment: Object.keys(env),
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
    }).env(env);
  // One simple-git per environment: a new token makes a new one, and commands already queued keep theirs.
  let made: { key: string; git: SimpleGit } | undefined;
  const gitWith = (env: Record<string, string>): SimpleGit => {
    const key = JSON.stringify(env);
    if (made?.key !== key) made = { key, git: makeGit(env) };
    return made.git;
  };
  const fixed: GitCredentials = { token: '', env: options.env, secrets: options.secrets };

  // simple-git has no stdin; the few commands that read one are spawned here, with the same environment.
  const withInput = (args: readonly string[], input: Buffer, env: Record<string, string>) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('git', [...args], { cwd: options.cwd, env });
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

  const once = async (
    operation: string,
    args: readonly string[],
    input: Buffer | undefined,
    credentials: GitCredentials,
  ) => {
    const started = performance.now();
    try {
      const out =
        input === undefined
          ? await gitWith(credentials.env).raw([...args])
          : await withInput(args, input, credentials.env);
      options.logger.debug(
        { git: operation, ms: Math.round(performance.now() - started) },
        'git command finished',
      );
      return out;
    } catch (error) {
      const raw = error instanceof Error ? error.message : String(error);
      const output = scrubSecrets(raw, [...options.secrets, ...credentials.secrets]).trim();
      const failure = classifyGitError(output, { operation, branch: options.branch });
      const message = `git ${operation} failed: ${output}`;
      options.logger.debug({ git: operation, failure: failure.kind, output }, 'git command failed');
      if (failure.kind === 'rejected') throw new PushRejectedError(message);
      if (failure.kind === 'permanent' && failure.credentials)
        throw new CredentialsRefusedError(message, { advice: failure.advice });
      if (failure.kind === 'permanent') throw new PermanentError(message, { advice: failure.advice });
      throw new TransientError(message);
    }
  };
  // The remote's transport may fail for a moment (a proxy's 502, a 429): a read or a push is asked again in place,
  // a few times, before the whole job is. A push whose answer was lost is safe to repeat: it is up to date.
  const NETWORK = new Set(['fetch', 'ls-remote', 'push']);
  // A refused token is renewed once: an App's installation token may have expired since it was made.
  return async (operation, args, input) => {
    let credentials = options.credentials ? await options.credentials() : fixed;
    let renewed = false;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await once(operation, args, input, credentials);
      } catch (error) {
        if (error instanceof CredentialsRefusedError && options.credentials && !renewed) {
          renewed = true;
          const fresh = await options.credentials(credentials.token);
          if (fresh.token !== credentials.token) {
            options.logger.info({ git: operation }, 'git credentials refused; trying once with a new token');
            credentials = fresh;
            continue;
          }
        }
        const transient = error instanceof TransientError && !(error instanceof PushRejectedError);
        if (!NETWORK.has(operation) || !transient || attempt >= 4) throw error;
        await new Promise((resolve) => setTimeout(resolve, exponentialDelay(attempt, { baseMs: 250 })));
      }
    }
  };
}
