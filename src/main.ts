#!/usr/bin/env node
import { runCli, type CliIo } from './cli/index.js';
import { loadConfig, type Config } from './config/index.js';
import { ConfigError } from './errors/index.js';
import { createLogger } from './logger/index.js';
import type { HandlerRegistry } from './queue/index.js';

/**
 * The composition root: the one place that reads `process.env`, owns stdout and signals, and decides which
 * handler runs for which event. Later features register their handlers here.
 */
const handlers: HandlerRegistry = {};

let config: Config | undefined;
const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  config: () => (config ??= loadConfig(process.env)),
  logger: (c) => createLogger({ level: c.logLevel }),
  handlers,
  stopped: new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  }),
};

try {
  process.exitCode = await runCli(process.argv.slice(2), io);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
// Signal listeners and idle sockets must not keep a finished command alive.
process.exit();
