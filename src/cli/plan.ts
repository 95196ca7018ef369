import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { PermanentError } from '../errors/index.js';
import { createFileTree, createOverlayFileTree } from '../git/index.js';
import { parseImageRef, type ImageRef, type TagRuleSet } from '../images/index.js';
import { createLogger } from '../logger/index.js';
import {
  entryEnvironments,
  findAppByImage,
  formatProblem,
  loadPolicies,
  validatePolicyFiles,
  type PolicySet,
} from '../policy/index.js';
import { applyImageChanges } from '../promotion/apply-image-changes.js';
import { environmentChange, refusePush, type EnvironmentChange } from '../promotion/candidate-commit.js';
import { renderDiff } from '../updaters/index.js';

/** What `plan` touches of the process: two output streams; `cwd` resolves a relative `--repo` (default: the process's). */
export interface PlanIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

const USAGE = `usage: promobot plan --repo <dir> --image <registry/project/app:tag[@sha256:…]> [--env <name>] [--policy <file|dir>]

Prints the unified diff promobot would commit for a push of the image, and changes nothing.
Without --policy the whole of --repo is one environment and the app is the image's last path segment.
With --policy (one file, or a folder of them as the worker loads it) the app is found by its image as the worker
finds it, and the environment (default: each entry environment) by name.
Exit 0 with a diff or "no change", 1 when no file refers to the image, 2 on a refused tag or wrong usage.
`;

const PlanArgs = z.object({
  repo: z.string({ error: '--repo <dir> is required' }).min(1),
  image: z.string({ error: '--image <registry/project/app:tag> is required' }).min(1),
  env: z.string().min(1).optional(),
  policy: z.string().min(1).optional(),
});
type PlanArgs = z.infer<typeof PlanArgs>;

/** What a push of the image changes: one change per environment, as the worker builds it, and the tag rules. */
interface Target {
  app: string;
  rules: TagRuleSet;
  changes: EnvironmentChange[];
}

/** Where a plan's changes come from in the commits the worker would write. */
const PLAN_EVENT = { event: 'plan', occurredAt: new Date(0).toISOString() };

/** A refusal: the message for stderr, and exit code 2. */
class Refusal extends Error {}

/**
 * `promobot plan`: the exact diff a push of `--image` would commit to the deploy repo at `--repo`, for people
 * checking a policy and for tests. Reads files only; never writes.
 */
export const planCommand = {
  name: 'plan',
  summary: 'print the diff promobot would commit for an image push, changing nothing',
  async run(argv: string[], io: PlanIo): Promise<number> {
    let args: PlanArgs;
    try {
      const { values } = parseArgs({
        args: argv,
        options: {
          repo: { type: 'string' },
          image: { type: 'string' },
          env: { type: 'string' },
          policy: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help === true) {
        io.stdout(USAGE);
        return 0;
      }
      const parsed = PlanArgs.safeParse(values);
      if (!parsed.success) throw new Refusal(parsed.error.issues.map((issue) => issue.message).join('\n'));
      args = parsed.data;
    } catch (error) {
      io.stderr(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
      return 2;
    }
    try {
      return await plan(args, io);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      io.stderr(`promobot plan: ${error.message}\n`);
      return 2;
    }
  },
};

async function plan(args: PlanArgs, io: PlanIo): Promise<number> {
  const parsed = parseImageRef(args.image);
  if (!parsed.ok) throw new Refusal(parsed.reason);
  const { ref } = parsed;
  if (ref.tag === undefined)
    throw new Refusal(`the image ${args.image} has no tag; pass registry/project/app:tag`);
  const target = args.policy === undefined ? withoutPolicy(ref, args.env) : await fromPolicy(ref, args, io);
  const refusal = refusePush(target.rules, ref.tag, ref.digest);
  if (refusal !== null) throw new Refusal(`refused: ${refusal}`);
  const pinsWithoutDigest = target.changes.find((change) => change.pinDigest && change.digest === undefined);
  if (pinsWithoutDigest !== undefined) {
    throw new Refusal(
      `${pinsWithoutDigest.app} pins digests: pass --image ${ref.written}:${ref.tag}@sha256:<digest>`,
    );
  }

  const repo = resolve(io.cwd ?? process.cwd(), args.repo);
  for (const change of target.changes) {
    const dir = resolve(repo, change.path);
    const inside = relative(repo, dir);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new Refusal(`environment ${change.env} has path ${change.path}, which leaves the repo`);
    }
    if (!(await isDirectory(dir)))
      throw new Refusal(`environment ${change.env}: ${change.path} is not a folder in ${repo}`);
  }

  // The worker's own step over the working copy, here over a read-only view of --repo: every write stays in memory.
  const tree = createOverlayFileTree(await createFileTree(repo));
  let applied;
  try {
    applied = await applyImageChanges(tree, target.changes, createLogger({ level: 'silent' }));
  } catch (error) {
    if (error instanceof PermanentError) throw new Refusal(error.message);
    throw error;
  }
  for (const problem of applied.flatMap((one) => one.problems)) io.stderr(`${problem}\n`);
  const changed = await tree.changes();
  const references = applied.reduce((sum, one) => sum + one.references, 0);
  const where = target.changes.map((change) => `${change.env} (${change.path || '.'})`).join(', ');
  if (changed.length > 0) {
    io.stdout(
      renderDiff(
        changed.map(({ path, before, after }) => ({ path, before: before ?? '', text: after ?? '' })),
      ),
    );
    return 0;
  }
  const [first] = target.changes;
  if (references > 0 && first !== undefined) {
    io.stdout(`no change: ${where} already runs ${first.image}:${first.tag} (${references} references)\n`);
    return 0;
  }
  io.stderr(`promobot plan: no file under ${where} refers to ${first?.image ?? ref.written}\n`);
  return 1;
}

function withoutPolicy(ref: ImageRef, env: string | undefined): Target {
  const app = ref.path.slice(ref.path.lastIndexOf('/') + 1);
  return {
    app,
    rules: {},
    changes: [
      {
        policy: '(none)',
        app,
        env: env ?? 'all',
        path: '',
        image: ref.written,
        tag: ref.tag ?? '',
        ...(ref.digest === undefined ? {} : { digest: ref.digest }),
        // Without a policy, a digest on the command line is the request to pin it.
        pinDigest: ref.digest !== undefined,
        helmTagPaths: [],
        ...PLAN_EVENT,
      },
    ],
  };
}

/** The policies at --policy, read and checked as the worker reads and checks its policy folder. */
async function readPolicies(path: string, shown: string): Promise<PolicySet> {
  if (await isDirectory(path)) return loadPolicies(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Refusal(`cannot read the policy file ${shown}`);
  }
  return validatePolicyFiles([{ path: shown, text }]);
}

async function fromPolicy(ref: ImageRef, args: PlanArgs, io: PlanIo): Promise<Target> {
  const shown = args.policy ?? '';
  const set = await readPolicies(resolve(io.cwd ?? process.cwd(), shown), shown);
  if (set.problems.length > 0) {
    const problems = set.problems.map((problem) => formatProblem(problem));
    throw new Refusal(`${shown} is not a valid PromotionPolicy:\n  ${problems.join('\n  ')}`);
  }
  const match = findAppByImage(set.policies, ref.registry, ref.path);
  if (match === null) {
    const known = set.policies.flatMap((policy) => policy.spec.apps.map((app) => app.image)).join(', ');
    throw new Refusal(`no app in ${shown} has the image ${ref.repository} (apps: ${known})`);
  }
  const { policy, app } = match;
  const { spec } = policy;
  const environments =
    args.env === undefined
      ? entryEnvironments(spec)
      : spec.environments.filter((environment) => environment.name === args.env);
  if (environments.length === 0) {
    const known = spec.environments.map((environment) => environment.name).join(', ');
    throw new Refusal(`unknown environment ${args.env ?? '(entry)'}; ${shown} has ${known}`);
  }
  const push = { tag: ref.tag ?? '', digest: ref.digest, ...PLAN_EVENT };
  return {
    app: app.name,
    rules: app.tags,
    changes: environments.map((environment) => environmentChange(policy, app, environment, push)),
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
