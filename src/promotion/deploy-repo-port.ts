import type { DeployRepo } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import { isYamlPath, updateTree } from '../updaters/index.js';
import { applyImageChange, tagOf } from './apply-image-changes.js';
import type { Running } from './decide-promotions.js';
import type { DeployRepoPort } from './reconcile-app.js';

// A tag no environment runs: asking the updaters to move every reference to it shows what each one holds now.
const PROBE_TAG = 'promobot-probe';

/** True when `path` is the folder `folder` or below it ('' is the whole repo). */
const isUnder = (path: string, folder: string) =>
  folder === '' || path === folder || path.startsWith(`${folder.replace(/\/+$/, '')}/`);

/**
 * The reconciler's view of a deploy repo, over `git/` and `updaters/`. A commit on a bot branch counts as the
 * bot's when its author or committer is the bot's e-mail; anything else there is a person's work.
 */
export function createDeployRepoPort(repo: DeployRepo, botEmail: string, logger: Logger): DeployRepoPort {
  const isBot = (email: string) => email.toLowerCase() === botEmail.toLowerCase();
  return {
    async readRunning(app, environments) {
      const running: Record<string, Running> = {};
      // One snapshot for every environment: one fetch, and each soak clock read from the same commit.
      const snapshot = await repo.readTree(environments.map((env) => env.path));
      for (const env of environments) {
        const yaml = new Map(
          [...snapshot.files].filter(([path]) => isUnder(path, env.path) && isYamlPath(path)),
        );
        const update = updateTree(yaml, {
          app: app.name,
          image: app.image,
          tag: PROBE_TAG,
          pinDigest: false,
          helmTagPaths: app.helmTagPaths,
        });
        const tags = new Set(
          update.changed
            .flatMap((f) => f.edits.map((e) => tagOf(e.before)))
            .filter((t): t is string => t !== null),
        );
        if (tags.size > 1)
          logger.warn(
            { app: app.name, env: env.name, tags: [...tags] },
            'environment runs several tags of one image; reading the first',
          );
        const [tag = null] = tags;
        const since = tag === null ? null : await repo.changedAt(env.path, tag, snapshot.commit);
        running[env.name] = { tag, since };
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
      const commits = await repo.findLastCommits({
        trailers: { 'Promobot-App': app, 'Promobot-Environment': env },
        limit: 50,
      });
      const tags: string[] = [];
      for (const commit of commits) {
        const tag = commit.trailers['Promobot-Tag'];
        if (tag && !tags.includes(tag)) tags.push(tag);
      }
      return tags;
    },
    async hasForeignCommits(branch) {
      const commits = await repo.branchCommits(branch);
      return commits.some((c) => !isBot(c.authorEmail) || !isBot(c.committerEmail));
    },
  };
}
