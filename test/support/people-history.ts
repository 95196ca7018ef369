import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GIT_TEST_ENV, type TempRepo } from './git.js';

export const PEOPLE_IMAGE = 'harbor.example.com/bootcamp/chat-ui';

/** The tags chat-ui/prod ran, newest first, as the people-written history below leaves them. */
export const PEOPLE_PROD_RUNS = [
  '1a2b3c4',
  '0e0e0e0',
  '0d0d0d0',
  '0b0b0b0',
  '0c0c0c0',
  '0b0b0b0',
  '0a0a0a0',
] as const;

/**
 * Seeds `repo` (already holding a first commit) with a deploy repo's past written by people before promobot came:
 * chat-ui/dev, staging and prod edited by hand with no trailers, a hotfix branch merged with a merge commit and
 * then reverted, prod moved from a plain manifest to kustomize, then to Helm values with a marker-commented tag,
 * edits of other apps in between, and a commit that touches prod without changing its tag. Each commit gets its own
 * date, a day apart from `start` (epoch seconds). Ends with chat-ui at 1a2b3c4 in every environment, wherever it
 * names the image (`image`, harbor.example.com/bootcamp/chat-ui unless told).
 */
export function seedPeopleHistory(
  repo: TempRepo,
  options: { image?: string; start?: number } = {},
): { dates: Record<string, number> } {
  const image = options.image ?? PEOPLE_IMAGE;
  const start = options.start ?? 1_700_000_000;
  let day = 0;
  const dates: Record<string, number> = {};
  const run = (who: string, ...args: string[]) => {
    const at = `${start + day * 86_400} +0000`;
    return execFileSync('git', args, {
      cwd: repo.work,
      encoding: 'utf8',
      env: {
        ...GIT_TEST_ENV,
        GIT_AUTHOR_NAME: who,
        GIT_AUTHOR_EMAIL: `${who.toLowerCase()}@example.test`,
        GIT_COMMITTER_NAME: who,
        GIT_COMMITTER_EMAIL: `${who.toLowerCase()}@example.test`,
        GIT_AUTHOR_DATE: at,
        GIT_COMMITTER_DATE: at,
      },
    });
  };
  const write = (files: Record<string, string | null>) => {
    for (const [path, content] of Object.entries(files)) {
      const full = join(repo.work, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
  };
  const commit = (who: string, message: string, files: Record<string, string | null>, tag?: string) => {
    day += 1;
    write(files);
    run(who, 'add', '--all');
    run(who, 'commit', '--quiet', '-m', message);
    if (tag) dates[tag] = start + day * 86_400;
  };
  const manifest = (tag: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat-ui\nspec:\n  template:\n    spec:\n      containers:\n        - name: chat-ui\n          image: ${image}:${tag}\n`;
  const api = (tag: string) => `image: harbor.example.com/bootcamp/chat-api:${tag}\n`;

  commit(
    'Alice',
    'Add chat-ui to every environment',
    {
      'chat-ui/dev/deployment.yaml': manifest('0a0a0a0'),
      'chat-ui/staging/deployment.yaml': manifest('0a0a0a0'),
      'chat-ui/prod/deployment.yaml': manifest('0a0a0a0'),
      'chat-api/prod/deployment.yaml': api('9999999'),
    },
    '0a0a0a0',
  );
  commit('Bob', 'bump chat-ui prod', { 'chat-ui/prod/deployment.yaml': manifest('0b0b0b0') }, '0b0b0b0');
  commit('Bob', 'chat-api: new build', { 'chat-api/prod/deployment.yaml': api('8888888') });
  // A hotfix on its own branch, merged with a merge commit while main moved on, then reverted.
  run('Carol', 'checkout', '--quiet', '-b', 'hotfix');
  commit('Carol', 'hotfix chat-ui in prod', { 'chat-ui/prod/deployment.yaml': manifest('0c0c0c0') });
  run('Carol', 'checkout', '--quiet', 'main');
  commit('Bob', 'chat-api: another build', { 'chat-api/prod/deployment.yaml': api('7777777') });
  day += 1;
  run('Carol', 'merge', '--quiet', '--no-ff', '-m', "Merge branch 'hotfix'", 'hotfix');
  dates['0c0c0c0'] = start + day * 86_400;
  day += 1;
  run('Dave', 'revert', '--no-edit', '-m', '1', 'HEAD');
  dates['0b0b0b0-again'] = start + day * 86_400;
  commit('Dave', 'comment the prod manifest', {
    'chat-ui/prod/deployment.yaml': `# owned by the chat team\n${manifest('0b0b0b0')}`,
  });
  commit(
    'Erin',
    'Move chat-ui prod to kustomize',
    {
      'chat-ui/prod/deployment.yaml': null,
      'chat-ui/prod/kustomization.yaml': `resources:\n  - ../../base/chat-ui\nimages:\n  - name: ${image}\n    newTag: 0d0d0d0\n`,
    },
    '0d0d0d0',
  );
  commit(
    'Frank',
    'Move chat-ui prod to the Helm chart',
    {
      'chat-ui/prod/kustomization.yaml': null,
      'chat-ui/prod/values.yaml': `replicas: 3\nimage:\n  repository: ${image}\n  tag: "0e0e0e0"\n`,
    },
    '0e0e0e0',
  );
  commit(
    'Frank',
    'chat-ui prod: 1a2b3c4, and the sidecar that reads its tag',
    {
      'chat-ui/prod/values.yaml': `replicas: 3\nimage:\n  repository: ${image}\n  tag: "1a2b3c4"\n`,
      'chat-ui/prod/sidecar.yaml': 'env:\n  - name: UI_TAG\n    value: 1a2b3c4 # promobot: chat-ui\n',
      'chat-ui/dev/deployment.yaml': manifest('1a2b3c4'),
      'chat-ui/staging/deployment.yaml': manifest('1a2b3c4'),
    },
    '1a2b3c4',
  );
  run('Frank', 'push', '--quiet', 'origin', 'HEAD:main');
  return { dates };
}
