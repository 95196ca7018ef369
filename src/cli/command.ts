import type { Config } from '../config/index.js';
import type { Logger } from '../logger/index.js';
import type { Metrics } from '../metrics/index.js';
import type { PolicyStore } from '../policy/index.js';
import type { HandlerRegistry } from '../queue/index.js';

// The command's shape lives apart from the list of commands, which imports every command: a command that named
// its own type from index.ts made each command file and index.ts import each other.

/** What a command may use of the process; `main.ts` provides the real one, tests their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The environment, for commands that read a variable before (or instead of) the whole configuration. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The validated configuration; throws `ConfigError` when the environment is wrong. */
  readonly config: () => Config;
  readonly logger: (config: Config) => Logger;
  /** What the worker runs: handlers by event type and their background parts, made by the composition root. */
  readonly jobs: (config: Config, logger: Logger, metrics: Metrics) => Promise<JobRuntime>;
  /** Resolves with the signal's name when the process is asked to stop (SIGTERM, SIGINT). */
  readonly stopped: Promise<string>;
  /**
   * Calls `listener` on each SIGHUP (reload the policies) until the returned function is called. A process that
   * never subscribes keeps the default (SIGHUP ends it), as one-shot commands should.
   */
  readonly hangups: (listener: () => void) => () => void;
}

/** The job side of a worker: event handlers, and what runs beside them (reconciles, timers). */
export interface JobRuntime {
  readonly handlers: HandlerRegistry;
  /** The policy set the jobs work from, reloaded on SIGHUP (and shared with intake in `start`). */
  readonly policies?: PolicyStore;
  /** Called once the event worker takes jobs. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** One `promobot <name>` command. `run` returns the exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  run(argv: string[], io: CliIo): Promise<number>;
}
