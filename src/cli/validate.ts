import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, loadPolicies, type PromotionPolicy } from '../policy/index.js';

/**
 * What `validate` needs of the process. A subset of the CLI's `CliIo`, so the command registers as is: the
 * directory comes from `env` when given, else from `config()` (which reads `PROMOBOT_POLICIES`). `cwd`, against
 * which paths are resolved and shown, defaults to the process's.
 */
export interface ValidateIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly config?: () => { policiesDir: string };
  readonly cwd?: string;
}

const USAGE = `usage: promobot validate [dir]

Checks every *.yaml and *.yml policy file in dir (default: $PROMOBOT_POLICIES, else policies)
and prints each problem as file:line:column message. Exits 0 when all are valid, 1 otherwise.
`;

/**
 * `promobot validate [dir]`: validates the policy files as the service would load them, for CI and editors.
 * Exit code 0 when valid, 1 on any problem, 2 on a usage error.
 */
export const validateCommand = {
  name: 'validate',
  summary: 'check the policy files and print every problem as file:line:column message',
  async run(argv: string[], io: ValidateIo): Promise<number> {
    let positionals: string[];
    try {
      const parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { help: { type: 'boolean', short: 'h' } },
      });
      if (parsed.values.help) {
        io.stdout(USAGE);
        return 0;
      }
      positionals = parsed.positionals;
    } catch (error) {
      io.stderr(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
      return 2;
    }
    if (positionals.length > 1) {
      io.stderr(`expected at most one directory, got ${positionals.length}\n${USAGE}`);
      return 2;
    }

    const cwd = io.cwd ?? process.cwd();
    const configured =
      io.env === undefined ? io.config?.().policiesDir : blankToUndefined(io.env['PROMOBOT_POLICIES']);
    const dir = resolve(cwd, positionals[0] ?? configured ?? 'policies');
    const { policies, problems } = await loadPolicies(dir);
    const shown = (file: string) => relative(cwd, file) || '.';

    for (const problem of problems) io.stdout(`${formatProblem(problem, shown(problem.file))}\n`);
    if (problems.length > 0) {
      const files = new Set(problems.map((p) => p.file)).size;
      io.stdout(`${count(problems.length, 'problem')} in ${count(files, 'file')}\n`);
      return 1;
    }
    io.stdout(`ok: ${summary(policies)}\n`);
    return 0;
  },
};

function summary(policies: readonly PromotionPolicy[]): string {
  const environments = policies.reduce((n, p) => n + p.spec.environments.length, 0);
  const apps = policies.reduce((n, p) => n + p.spec.apps.length, 0);
  return `${count(policies.length, 'policy', 'policies')}, ${count(environments, 'environment')}, ${count(apps, 'app')}`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
