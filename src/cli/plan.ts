import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { checkTag, parseImageRef, sameRepository, type ImageRef, type TagRuleSet } from '../images/index.js';
import { environmentPath } from '../policy/environment-path.js';
import { PromotionPolicy } from '../policy/schema.js';
import { isYamlPath, renderDiff, updateTree, type ImageChange } from '../updaters/index.js';

/** What `plan` touches of the process: two output streams; `cwd` resolves a relative `--repo` (default: the process's). */
export interface PlanIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

const USAGE = `usage: promobot plan --repo <dir> --image <registry/project/app:tag[@sha256:…]> [--env <name>] [--policy <file>]

Prints the unified diff promobot would commit for a push of the image, and changes nothing.
Without --policy the whole of --repo is one environment and the app is the image's last path segment.
With --policy the app is found by its image, and the environment (default: each entry environment) by name.
Exit 0 with a diff or "no change", 1 when no file refers to the image, 2 on a refused tag or wrong usage.
`;

const PlanArgs = z.object({
  repo: z.string({ error: '--repo <dir> is required' }).min(1),
  image: z.string({ error: '--image <registry/project/app:tag> is required' }).min(1),
  env: z.string().min(1).optional(),
  policy: z.string().min(1).optional(),
});
type PlanArgs = z.infer<typeof PlanArgs>;

/** One app in one environment folder: everything a plan needs to know from the policy (or its absence). */
interface Target {
  change: ImageChange;
  rules: TagRuleSet;
  /** Environment name and folder relative to the repo. */
  environments: { name: string; path: string }[];
}

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
  const tag = checkTag(ref.tag, target.rules);
  if (!tag.ok) throw new Refusal(`refused: ${tag.reason}`);
  if (target.change.pinDigest && target.change.digest === undefined) {
    throw new Refusal(
      `${target.change.app} pins digests: pass --image ${ref.written}:${ref.tag}@sha256:<digest>`,
    );
  }

  const repo = resolve(io.cwd ?? process.cwd(), args.repo);
  const files = new Map<string, string>();
  for (const environment of target.environments) {
    const dir = resolve(repo, environment.path);
    const inside = relative(repo, dir);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new Refusal(
        `environment ${environment.name} has path ${environment.path}, which leaves the repo`,
      );
    }
    if (!(await isDirectory(dir)))
      throw new Refusal(`environment ${environment.name}: ${environment.path} is not a folder in ${repo}`);
    await readYamlTree(repo, dir, files);
  }

  const result = updateTree(files, target.change);
  for (const file of result.skipped) io.stderr(`skipped ${file.path}: ${file.reason}\n`);
  for (const file of [...result.changed, ...result.current]) {
    for (const problem of file.problems) io.stderr(`${file.path}: ${problem}\n`);
  }
  const where = target.environments
    .map((environment) => `${environment.name} (${environment.path})`)
    .join(', ');
  if (result.changed.length > 0) {
    io.stdout(renderDiff(result.changed));
    return 0;
  }
  if (result.references > 0) {
    io.stdout(
      `no change: ${where} already runs ${target.change.image}:${target.change.tag} (${result.references} references)\n`,
    );
    return 0;
  }
  io.stderr(`promobot plan: no file under ${where} refers to ${target.change.image}\n`);
  return 1;
}

function withoutPolicy(ref: ImageRef, env: string | undefined): Target {
  return {
    change: {
      app: ref.path.slice(ref.path.lastIndexOf('/') + 1),
      image: ref.written,
      tag: ref.tag ?? '',
      ...(ref.digest === undefined ? {} : { digest: ref.digest }),
      // Without a policy, a digest on the command line is the request to pin it.
      pinDigest: ref.digest !== undefined,
    },
    rules: {},
    environments: [{ name: env ?? 'all', path: '.' }],
  };
}

async function fromPolicy(ref: ImageRef, args: PlanArgs, io: PlanIo): Promise<Target> {
  const file = resolve(io.cwd ?? process.cwd(), args.policy ?? '');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Refusal(`cannot read the policy file ${args.policy}`);
  }
  const document = parseDocument(text, { uniqueKeys: true });
  const problem =
    document.errors[0] ?? document.warnings.find((warning) => warning.code === 'TAG_RESOLVE_FAILED');
  if (problem !== undefined) throw new Refusal(`${args.policy} is not valid YAML: ${problem.message}`);
  const parsed = PromotionPolicy.safeParse(document.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Refusal(`${args.policy} is not a valid PromotionPolicy:\n  ${issues.join('\n  ')}`);
  }
  const { spec } = parsed.data;
  const app = spec.apps.find((candidate) => sameRepository(candidate.image, ref.written));
  if (app === undefined) {
    const known = spec.apps.map((candidate) => candidate.image).join(', ');
    throw new Refusal(`no app in ${args.policy} has the image ${ref.repository} (apps: ${known})`);
  }
  const environments =
    args.env === undefined
      ? spec.environments.filter((environment) => environment.from === undefined)
      : spec.environments.filter((environment) => environment.name === args.env);
  if (environments.length === 0) {
    const known = spec.environments.map((environment) => environment.name).join(', ');
    throw new Refusal(`unknown environment ${args.env ?? '(entry)'}; ${args.policy} has ${known}`);
  }
  return {
    change: {
      app: app.name,
      image: app.image,
      tag: ref.tag ?? '',
      ...(ref.digest === undefined ? {} : { digest: ref.digest }),
      pinDigest: app.pinDigest,
      helmTagPaths: app.helmTagPaths,
    },
    rules: app.tags,
    environments: environments.map((environment) => ({
      name: environment.name,
      path: environmentPath(environment, app),
    })),
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Adds every YAML file under `dir` to `files`, keyed by its path from `repo` with `/`; `.git` and links are not followed. */
async function readYamlTree(repo: string, dir: string, files: Map<string, string>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== '.git') await readYamlTree(repo, full, files);
    if (entry.isFile() && isYamlPath(entry.name)) {
      files.set(relative(repo, full).split(sep).join('/'), await readFile(full, 'utf8'));
    }
  }
}
