import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { createTempRepo, type TempRepo } from '../support/git.js';
import { policiesDir, testIo } from '../cli/cli-io.js';

const POLICY = `
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: chat-ui, image: harbor.local/bootcamp/chat-ui }]
  environments:
    - { name: dev, path: chat-ui/dev, update: commit }
    - { name: prod, path: chat-ui/prod, from: dev, update: pull-request, approvals: { approvers: [alice] } }
`;

let gitea: GiteaDouble;
let deploy: TempRepo;
let env: Record<string, string>;

beforeAll(async () => {
  deploy = createTempRepo({
    'chat-ui/dev/deployment.yaml': 'image: harbor.local/bootcamp/chat-ui:1a2b3c4\n',
  });
  gitea = await startGiteaDouble();
  const bot = gitea.addUser('promobot');
  await gitea.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { promobot: 'admin' },
  });
  env = {
    PROMOBOT_PUBLIC_URL: 'https://promobot.example.com',
    PROMOBOT_POLICIES: policiesDir({ 'chat.yaml': POLICY }),
    GITEA_URL: gitea.url,
    GITEA_TOKEN: bot.token,
    GITEA_WEBHOOK_SECRET: 'gitea-secret',
  };
});

afterAll(async () => {
  expect(gitea.violations).toEqual([]);
  expect(gitea.answerProblems).toEqual([]);
  await gitea.close();
  deploy.cleanup();
});

describe('promobot setup', () => {
  it('--check changes nothing and exits 1 while the hook and the protection are missing', async () => {
    const io = testIo(env);
    expect(await runCli(['setup', '--check'], io)).toBe(1);
    expect(io.out()).toMatch(/missing +gitea bootcamp\/notes-deploy\n/);
    expect(io.out()).toMatch(/missing +gitea bootcamp\/notes-deploy@main: no protection rule/);
    expect(gitea.hooks('bootcamp/notes-deploy')).toEqual([]);
    expect(gitea.protections('bootcamp/notes-deploy')).toEqual([]);
  });

  it('registers the hook and protects the branch, then a check passes and a second run changes nothing', async () => {
    const io = testIo(env);
    expect(await runCli(['setup'], io)).toBe(0);
    expect(io.out()).toMatch(
      /created +gitea bootcamp\/notes-deploy@main: requires promobot\/approval, promobot\/promotion/,
    );
    expect(gitea.hooks('bootcamp/notes-deploy')).toHaveLength(1);
    const check = testIo(env);
    expect(await runCli(['setup', '--check'], check)).toBe(0);
    const again = testIo(env);
    expect(await runCli(['setup'], again)).toBe(0);
    expect(again.out()).toContain('nothing changed: every deploy branch is protected as wanted');
  });

  it.each([['setup'], ['webhooks sync']])(
    '%s refuses to act on a policy set with a problem: each problem and what to do, exit 1, nothing changed',
    async (command) => {
      const broken = { ...env, PROMOBOT_POLICIES: policiesDir({ 'chat.yaml': `${POLICY}  bogus: true\n` }) };
      const hooksBefore = gitea.hooks('bootcamp/notes-deploy').length;
      const io = testIo(broken);
      expect(await runCli(command.split(' '), io)).toBe(1);
      expect(io.err()).toContain('chat.yaml');
      expect(io.err()).toContain(`promobot ${command}: fix the policies first (\`promobot validate\`)`);
      expect(io.out()).toBe('');
      expect(gitea.hooks('bootcamp/notes-deploy')).toHaveLength(hooksBefore);
    },
  );
});
