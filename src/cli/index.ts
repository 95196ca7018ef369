import { parseArgs } from 'node:util';
import { ConfigError, errorMessage } from '../errors/index.js';
import { doctorCommand } from './doctor.js';
import { planCommand } from './plan.js';
import { serveCommand } from './serve.js';
import { setupCommand } from './setup.js';
import { startCommand } from './start.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';
import { webhooksSyncCommand } from './webhooks-sync.js';
import { workerCommand } from './worker.js';
import type { CliIo, Command } from './command.js';

export type { CliIo, Command, JobRuntime } from './command.js';

/** Every command, in the order `--help` lists them. A new command is one more line here. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  workerCommand,
  startCommand,
  statusCommand,
  validateCommand,
  planCommand,
  doctorCommand,
  webhooksSyncCommand,
  setupCommand,
];

/** The top-level help text. */
export function usage(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: promobot <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `promobot <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

/**
 * Runs the command named by `argv` (without the node and script paths) and returns the exit code: 0 done, 1 the
 * command failed, 2 wrong usage or configuration. Multi-word commands (`webhooks sync`) are matched whole.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), io);
 */
export async function runCli(
  argv: string[],
  io: CliIo,
  commands: readonly Command[] = COMMANDS,
): Promise<number> {
  const { positionals } = parseArgs({ args: argv, strict: false, allowPositionals: true });
  const [first] = positionals;
  if (first === undefined || first === 'help' || (argv[0]?.startsWith('-') ?? false)) {
    const asked = argv.includes('--help') || argv.includes('-h') || first === 'help';
    (asked ? io.stdout : io.stderr)(usage(commands));
    return asked ? 0 : 2;
  }
  const command = [...commands]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .find((c) => c.name.split(' ').every((word, i) => positionals[i] === word));
  if (command === undefined) {
    io.stderr(`promobot: unknown command "${first}"\n\n${usage(commands)}`);
    return 2;
  }
  const words = command.name.split(' ').length;
  const index = nthPositionalIndex(argv, words);
  try {
    return await command.run(argv.slice(index), io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    io.stderr(`promobot ${command.name}: ${errorMessage(error)}\n`);
    return 1;
  }
}

/** Index in argv just past the first `count` positional words. */
function nthPositionalIndex(argv: string[], count: number): number {
  let seen = 0;
  for (let i = 0; i < argv.length; i += 1) {
    if (!argv[i]?.startsWith('-')) seen += 1;
    if (seen === count) return i + 1;
  }
  return argv.length;
}
