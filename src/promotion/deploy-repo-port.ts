import type { DeployRepo, TagReader } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import type { App } from '../policy/index.js';
import { isYamlPath, readTags, type ImageRef } from '../updaters/index.js';
import { applyImageChange } from './apply-image-changes.js';
import type { Running } from './decide-promotions.js';
import type { DeployRepoPort } from './reconcile-app.js';

const imageOf = (app: App): ImageRef => ({ app: app.name, image: app.image, helmTagPaths: app.helmTagPaths });

/** Reads one app's tags from each file of an environment's history, with the updaters that write them. */
const readerFor = (app: App): TagReader => {
  const image = imageOf(app);
  return {
    key: JSON.stringify([image.app, image.image, image.helmTagPaths]),
    wants: isYamlPath,
    tagsOf: (path, text) => readTags(new Map([[path, text]]), image),
  };
};

/** True when `path` is the folder `folder` or below it ('' is the whole repo). */
const isUnder = (path: string, folder: string) =>
  folder === '' || path === folder || path.startsWith(`${folder.replace(/\/+$/, '')}/`);

/**
 * The reconciler's view of a deploy repo, over `git/` and `updaters/`. A commit on a bot branch counts as the
 * bot's when its author or committer is the bot's e-mail; anything else there is a person's work.
 */
export function createDeployRepoPort(repo: DeployRepo, botEmail: string, logger: Logger): DeployRepoPort {
  const isBot = (email: string) => email.toLowerCase() === botEmail.toLowerCase();
  /**
   * Since when `dir` runs `tag`: where the environment's history says it came in (a person's commit counts). A run
   * older than the history's depth limit falls back to the last commit that changed the tag's occurrences.
   */
  const sinceOf = async (
    app: App,
    dir: string,
    tag: string,
    at: string,
  ): Promise<{ since: number | null; commit: string | null }> => {
    const history = await repo.history(dir, readerFor(app), at);
    const run = history.runs.find((r) => r.tag === tag && r.endedBy === null);
    return {
      since: run?.since ?? (await repo.changedAt(dir, tag, at)),
      // Before the depth limit the landing commit is unknown: the snapshot contains it, whatever it was.
      commit: run?.commit ?? at,
    };
  };
  return {
    async readRunning(app, environments) {
      const running: Record<string, Running> = {};
      // One snapshot for every environment: one fetch, and each soak clock read from the same commit.
      const snapshot = await repo.readTree(environments.map((env) => env.path));
      for (const env of environments) {
        const yaml = new Map(
          [...snapshot.files].filter(([path]) => isUnder(path, env.path) && isYamlPath(path)),
        );
        const tags = readTags(yaml, imageOf(app));
        if (tags.length > 1)
          logger.warn(
            { app: app.name, env: env.name, tags },
            'environment runs several tags of one image; reading the first',
          );
        const [tag = null] = tags;
        running[env.name] =
          tag === null
            ? { tag, since: null, commit: null }
            : { tag, ...(await sinceOf(app, env.path, tag, snapshot.commit)) };
      }
      return running;
    },
    async writeBranch(input) {
      const result = await repo.transactBranch(
        input.branch,
        async (tree) => {
          const applied = await applyImageChange(tree, input.path, input.change);
          return applied.files.length > 0 ? { message: input.message, trailers: input.trailers } : null;
        },
        { isForeign: (commits) => commits.some((c) => !isBot(c.authorEmail) || !isBot(c.committerEmail)) },
      );
      return { headSha: result.commit, foreign: result.foreign };
    },
    async tagHistory(app, env) {
      return (await repo.history(env.path, readerFor(app))).runs;
    },
    contains: (ancestor, descendant) => repo.contains(ancestor, descendant),
    async hasForeignCommits(branch) {
      const commits = await repo.branchCommits(branch);
      return commits.some((c) => !isBot(c.authorEmail) || !isBot(c.committerEmail));
    },
  };
}
