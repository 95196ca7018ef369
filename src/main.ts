#!/usr/bin/env node
import { runCli, type CliIo } from './cli/index.js';
import { loadConfig, type Config } from './config/index.js';
import { ConfigError } from './errors/index.js';
import { createLogger } from './logger/index.js';
import { createWorkerRuntime } from './worker/index.js';

/**
 * The composition root: the one place that reads `process.env`, owns stdout and signals, and wires handlers.
 * Returns the exit code: 2 with the message when the configuration is wrong.
 */
async function main(argv: string[]): Promise<number> {
  let config: Config | undefined;
  const hangupListeners = new Set<() => void>();
  const onHangup = () => {
    for (const listener of hangupListeners) listener();
  };
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    config: () => (config ??= loadConfig(process.env)),
    logger: (c) => createLogger({ level: c.logLevel }),
    // The worker's composition root (src/worker/) builds the handlers and what runs beside them.
    jobs: (c, logger, metrics) => createWorkerRuntime({ config: c, logger, metrics }),
    stopped: new Promise((resolve) => {
      // `on`, not `once`: a second signal while draining must not fall back to the default (kill mid-push).
      process.on('SIGTERM', () => resolve('SIGTERM'));
      process.on('SIGINT', () => resolve('SIGINT'));
    }),
    hangups: (listener) => {
      if (hangupListeners.size === 0) process.on('SIGHUP', onHangup);
      hangupListeners.add(listener);
      return () => {
        hangupListeners.delete(listener);
        if (hangupListeners.size === 0) process.off('SIGHUP', onHangup);
      };
    },
  };
  try {
    return await runCli(argv, io);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
// Signal listeners and idle sockets must not keep a finished command alive.
process.exit();
