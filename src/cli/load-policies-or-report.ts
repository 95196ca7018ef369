import type { Config } from '../config/index.js';
import { formatProblem, loadPolicies, type PromotionPolicy } from '../policy/index.js';
import type { CliIo } from './command.js';

/**
 * The policies of `config.policiesDir` for a command that changes hosts from them (`webhooks sync`, `setup`): all
 * of them, or, when any file has a problem, undefined after printing each problem and what to do, so the command
 * exits 1 without acting on half a policy set.
 */
export async function loadPoliciesOrReport(
  io: CliIo,
  config: Config,
  command: string,
): Promise<PromotionPolicy[] | undefined> {
  const { policies, problems } = await loadPolicies(config.policiesDir);
  if (problems.length === 0) return policies;
  for (const problem of problems) io.stderr(`${formatProblem(problem, problem.file)}\n`);
  io.stderr(`promobot ${command}: fix the policies first (\`promobot validate\`)\n`);
  return undefined;
}
