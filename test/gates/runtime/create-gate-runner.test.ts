import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  createGateRunner,
  createPrometheusClient,
  GATES_COMMENT_MARKER,
  WATCH_COMMENT_MARKER,
  type GateRunner,
  type WatchFailure,
} from '../../../src/gates/index.js';
import { createLogger } from '../../../src/logger/index.js';
import { PromotionPolicy } from '../../../src/policy/schema.js';
import { createScmHost } from '../../../src/hosts/index.js';
import { repoRef, type ScmHost } from '../../../src/scm/index.js';
import { startGiteaDouble, type GiteaDouble } from '../../doubles/gitea/index.js';
import { createTempRepo, git, type TempRepo } from '../../support/git.js';
import { startPrometheus, type PrometheusServer } from '../../support/prometheus.js';
import { startRedis, type RedisServer } from '../../support/redis-server.js';
import { chatFamilies } from '../chat-history.js';

const FULL_NAME = 'bootcamp/chat-deploy';
const repo = repoRef(FULL_NAME);

/** A chat policy whose staging runs in `stagingNamespace` of the generated history; prod is the baseline. */
function policy(
  name: string,
  stagingNamespace: string,
  interval = '200ms',
  prod: { namespace: string; watch?: string } = { namespace: 'chat-prod' },
): PromotionPolicy {
  return PromotionPolicy.parse(
    parse(`
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: ${name} }
spec:
  deployRepo: { scm: gitea, repo: ${FULL_NAME} }
  apps:
    - { name: chat-ui, image: harbor.example.com/bootcamp/chat-ui }
  environments:
    - { name: staging, path: "{{app}}/{{env}}", update: commit, namespace: ${stagingNamespace} }
    - name: prod
      path: "{{app}}/{{env}}"
      update: pull-request
      from: staging
      namespace: ${prod.namespace}
      gates: [ttft-p95, error-rate]${prod.watch ? `\n      watch: ${prod.watch}` : ''}
      gating: { interval: ${interval}, passes: 2, failureLimit: 1, maxInconclusive: 15m }
`),
  );
}

const POLICIES = [
  policy('chat', 'chat-staging'),
  policy('chat-slow', 'chat-slow-one'),
  // Rounds far enough apart for a restart to fall between two of them.
  policy('chat-patient', 'chat-staging', '2s'),
  // Watched after merging: prod healthy, and prod where one model turned slow.
  policy('chat-watched', 'chat-staging', '200ms', { namespace: 'chat-prod', watch: '1s' }),
  policy('chat-watched-slow', 'chat-staging', '200ms', { namespace: 'chat-slow-one', watch: '1s' }),
];

let redis: RedisServer;
let prometheus: PrometheusServer;
let double: GiteaDouble;
let deploy: TempRepo;
let scm: ScmHost;
let runner: GateRunner;
const settled: string[] = [];
const watchFailures: WatchFailure[] = [];
let branches = 0;

beforeAll(async () => {
  [redis, prometheus, double] = await Promise.all([
    startRedis(),
    startPrometheus({ families: chatFamilies() }),
    startGiteaDouble(),
  ]);
  const bot = double.addUser('promobot');
  deploy = createTempRepo({ 'chat-ui/prod/values.yaml': 'tag: 1a2b3c4\n' });
  await double.addRepo({
    owner: 'bootcamp',
    name: 'chat-deploy',
    bare: deploy.bare,
    access: { promobot: 'admin' },
  });
  const logger = createLogger({ level: 'silent' });
  scm = createScmHost('gitea', { baseUrl: double.url, token: bot.token, logger });
  runner = makeRunner('promobot-test', async (name, app) => {
    settled.push(`${name}/${app}`);
  });
  await runner.waitUntilReady();
}, 60_000);

afterAll(async () => {
  await runner?.close();
  await runner?.close();
  await Promise.all([prometheus?.close(), redis?.close(), double?.close()]);
  deploy?.cleanup();
});

/** A runner on this file's Redis, Prometheus and Gitea double; its own `prefix` keeps its queue apart. */
function makeRunner(prefix: string, onSettled: (policy: string, app: string) => Promise<void>): GateRunner {
  return createGateRunner({
    redisUrl: redis.url,
    prefix,
    logger: createLogger({ level: 'silent' }),
    prometheus: createPrometheusClient({ url: prometheus.url, timeoutMs: 1_000 }),
    prometheusUrl: 'https://prometheus.example.com',
    resolve: (name) => {
      const found = POLICIES.find((p) => p.metadata.name === name);
      return found ? { policy: found, scm } : null;
    },
    onSettled,
    onWatchFailed: async (failure) => {
      watchFailures.push(failure);
    },
    // The generated history ends a little before now; rounds measure at its end.
    evaluationTime: () => prometheus.dataEnd,
  });
}

/** Pushes a promotion branch with a new tag and opens its PR as the bot. */
async function openPromotion(tag: string, file = 'chat-ui/prod/values.yaml') {
  const branch = `promobot/prod/chat-ui-${++branches}`;
  git(deploy.work, 'checkout', '--quiet', '-b', branch, 'main');
  writeFileSync(join(deploy.work, file), `tag: ${tag}\n`);
  git(deploy.work, 'add', file);
  git(deploy.work, 'commit', '--quiet', '-m', `promote chat-ui to ${tag}`);
  git(deploy.work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
  git(deploy.work, 'checkout', '--quiet', 'main');
  const pr = await double.openPullRequest(FULL_NAME, {
    author: 'promobot',
    head: branch,
    base: 'main',
    title: `promote chat-ui to ${tag}`,
  });
  return { number: pr.index, headSha: pr.headSha, branch };
}

/** A new commit on the PR's branch, as a person pushing a fix would make. */
async function pushTo(branch: string, tag: string): Promise<string> {
  git(deploy.work, 'checkout', '--quiet', branch);
  writeFileSync(join(deploy.work, 'chat-ui/prod/values.yaml'), `tag: ${tag}\n`);
  git(deploy.work, 'commit', '--quiet', '-am', `retag ${tag}`);
  git(deploy.work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
  const sha = git(deploy.work, 'rev-parse', 'HEAD');
  git(deploy.work, 'checkout', '--quiet', 'main');
  await double.syncRefs();
  return sha;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const gateStatuses = (sha: string) =>
  double.statuses(FULL_NAME, sha).filter((s) => s.context === 'promobot/gates');
const gateComments = (pr: number) =>
  double.comments(FULL_NAME, pr).filter((c) => c.body.startsWith(GATES_COMMENT_MARKER));

const target = (policyName: string, pr: { number: number; headSha: string }) => ({
  policy: policyName,
  app: 'chat-ui',
  env: 'prod',
  repo,
  pr: pr.number,
  headSha: pr.headSha,
});

describe('gates/createGateRunner() with Redis, Prometheus and the Gitea double', () => {
  it('sets pending at once, keeps one evidence comment, then succeeds and settles the app', async () => {
    const pr = await openPromotion('2b3c4d5');
    await runner.start(target('chat', pr));
    await runner.start(target('chat', pr));

    expect(gateStatuses(pr.headSha)[0]).toMatchObject({
      state: 'pending',
      description: 'waiting for round 1 of 2',
    });
    await waitFor('success', async () =>
      (await runner.status(repo, pr.number, pr.headSha)) === 'success' ? true : undefined,
    );

    // One soak despite two starts: the first status, then one per round.
    expect(gateStatuses(pr.headSha).map((s) => `${s.state}: ${s.description}`)).toEqual([
      'pending: waiting for round 1 of 2',
      'pending: round 1 of 2: 1 of 2 passes in a row',
      'success: gates passed 2 rounds in a row (round 2)',
    ]);
    const comments = gateComments(pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('Gates for chat-ui → prod: success');
    expect(comments[0]?.body).toContain('measured in staging');
    expect(comments[0]?.body).toContain('ttft-p95');
    expect(comments[0]?.body).toContain('model="llama-3-8b"');
    expect(comments[0]?.body).toContain('https://prometheus.example.com/graph?g0.expr=');
    // Created by round 1, edited in place by round 2.
    const calls = double.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls.filter((c) => c === `POST /repos/${FULL_NAME}/issues/${pr.number}/comments`)).toHaveLength(
      1,
    );
    expect(calls).toContain(`PATCH /repos/${FULL_NAME}/issues/comments/${comments[0]?.id}`);
    await waitFor('onSettled', () => (settled.includes('chat/chat-ui') ? true : undefined));
    expect(double.violations).toEqual([]);
  });

  it('fails when TTFT p95 is over the threshold for one model, and names that model', async () => {
    const pr = await openPromotion('3c4d5e6');
    await runner.start(target('chat-slow', pr));

    await waitFor('failure', async () =>
      (await runner.status(repo, pr.number, pr.headSha)) === 'failure' ? true : undefined,
    );
    const last = gateStatuses(pr.headSha).at(-1);
    expect(last?.state).toBe('failure');
    expect(last?.description).toContain('qwen-2-7b');
    const comments = gateComments(pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toMatch(/model="qwen-2-7b" \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| ❌ fail/);
    await waitFor('onSettled', () => (settled.includes('chat-slow/chat-ui') ? true : undefined));
    expect(double.violations).toEqual([]);
  });

  it('counts rounds with Prometheus down as inconclusive, and succeeds once it is back', async () => {
    const pr = await openPromotion('4d5e6f7');
    await prometheus.stop();
    try {
      await runner.start(target('chat', pr));
      await waitFor('two inconclusive rounds', () =>
        gateStatuses(pr.headSha).filter((s) => s.description.includes('last inconclusive')).length >= 2
          ? true
          : undefined,
      );
      expect(await runner.status(repo, pr.number, pr.headSha)).toBe('pending');
      expect(gateComments(pr.number)[0]?.body).toContain('inconclusive');
    } finally {
      await prometheus.start();
    }

    await waitFor('success', async () =>
      (await runner.status(repo, pr.number, pr.headSha)) === 'success' ? true : undefined,
    );
    expect(gateComments(pr.number)).toHaveLength(1);
    expect(double.violations).toEqual([]);
  });

  it('restarts from round 1 on a new head, and stops the old head’s rounds', async () => {
    const pr = await openPromotion('5e6f7a8');
    await runner.start(target('chat', pr));
    await waitFor('round 1 on the first head', () =>
      gateStatuses(pr.headSha).some((s) => s.description.startsWith('round 1')) ? true : undefined,
    );

    const newHead = await pushTo(pr.branch, '6f7a8b9');
    await runner.start(target('chat', { number: pr.number, headSha: newHead }));
    expect(gateStatuses(newHead)[0]?.description).toBe('waiting for round 1 of 2');
    await waitFor('success on the new head', async () =>
      (await runner.status(repo, pr.number, newHead)) === 'success' ? true : undefined,
    );
    // Give a stale round of the old head the time to run, if one were still scheduled.
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(await runner.status(repo, pr.number, pr.headSha)).toBe('pending');
    expect(gateStatuses(pr.headSha).every((s) => s.state === 'pending')).toBe(true);
    expect(gateStatuses(newHead).map((s) => s.description)).toEqual([
      'waiting for round 1 of 2',
      'round 1 of 2: 1 of 2 passes in a row',
      'gates passed 2 rounds in a row (round 2)',
    ]);
    const comments = gateComments(pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('success');
    expect(double.violations).toEqual([]);
  });

  it('resumes a soak after the process restarts, from the round it had reached', async () => {
    const pr = await openPromotion('8b9c0d1');
    const calls: string[] = [];
    const first = makeRunner('promobot-restart', async (name) => {
      calls.push(`first ${name}`);
    });
    await first.waitUntilReady();
    await first.start(target('chat-patient', pr));
    await waitFor('round 1', () =>
      gateStatuses(pr.headSha).some((s) => s.description.startsWith('round 1')) ? true : undefined,
    );
    await first.close();

    const second = makeRunner('promobot-restart', async (name) => {
      calls.push(`second ${name}`);
    });
    try {
      await second.waitUntilReady();
      await waitFor('success after the restart', async () =>
        (await second.status(repo, pr.number, pr.headSha)) === 'success' ? true : undefined,
      );
      await waitFor('onSettled', () => (calls.length > 0 ? true : undefined));
      expect(calls).toEqual(['second chat-patient']);
      expect(gateStatuses(pr.headSha).map((s) => s.state)).toEqual(['pending', 'pending', 'success']);
    } finally {
      await second.close();
    }
  });

  it('calls onSettled again when it failed, without counting the last round twice', async () => {
    const pr = await openPromotion('9c0d1e2');
    let calls = 0;
    const flaky = makeRunner('promobot-flaky', async () => {
      calls += 1;
      if (calls === 1) throw new Error('the reconcile queue is unavailable');
    });
    try {
      await flaky.waitUntilReady();
      await flaky.start(target('chat', pr));
      await waitFor('the retried onSettled', () => (calls >= 2 ? true : undefined), 10_000);

      expect(gateStatuses(pr.headSha).map((s) => s.state)).toEqual(['pending', 'pending', 'success']);
      expect(gateComments(pr.number)).toHaveLength(1);
    } finally {
      await flaky.close();
    }
  });

  it('stops the rounds of a PR closed during the soak', async () => {
    const pr = await openPromotion('0d1e2f3');
    await runner.start(target('chat-patient', pr));
    await waitFor('round 1', () =>
      gateStatuses(pr.headSha).some((s) => s.description.startsWith('round 1')) ? true : undefined,
    );
    await scm.closePullRequest(repo, pr.number);

    // Round 2 comes 2 s after round 1, finds the PR closed and stops there.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await runner.status(repo, pr.number, pr.headSha)).toBe('pending');
    expect(gateStatuses(pr.headSha).map((s) => s.description)).toEqual([
      'waiting for round 1 of 2',
      'round 1 of 2: 1 of 2 passes in a row',
    ]);
    expect(settled).not.toContain('chat-patient/chat-ui');
    expect(double.violations).toEqual([]);
  });

  it('schedules round 1 when a start that failed on the code host is retried', async () => {
    const pr = await openPromotion('1e2f3a4');
    double.failNext({ method: 'POST', path: `/statuses/${pr.headSha}`, status: 503, times: 3 });
    await expect(runner.start(target('chat', pr))).rejects.toThrow();

    await runner.start(target('chat', pr));
    await waitFor('success', async () =>
      (await runner.status(repo, pr.number, pr.headSha)) === 'success' ? true : undefined,
    );
    expect(gateStatuses(pr.headSha).map((s) => s.state)).toEqual(['pending', 'success']);
    expect(double.violations).toEqual([]);
  });

  it('says none for an environment without gates', async () => {
    const pr = await openPromotion('7a8b9c0');
    await runner.start({ ...target('chat', pr), env: 'staging' });

    expect(await runner.status(repo, pr.number, pr.headSha)).toBe('none');
    expect(gateStatuses(pr.headSha)).toEqual([]);
  });
});

describe('gates/createGateRunner().watch() after a merge', () => {
  /** Opens a promotion PR and merges it as the bot; the merge commit is what the watch reports on. */
  async function mergedPromotion(tag: string) {
    // A file of its own, so merges of earlier tests never conflict with it.
    const pr = await openPromotion(tag, `chat-ui/prod/${tag}.yaml`);
    expect(await double.merge(FULL_NAME, pr.number, 'promobot')).toBe(200);
    const mergeSha = double.pull(FULL_NAME, pr.number)?.mergeCommitSha;
    if (!mergeSha) throw new Error('the PR has no merge commit');
    return { ...pr, mergeSha };
  }
  const watchTarget = (policyName: string, pr: { number: number; mergeSha: string }) => ({
    policy: policyName,
    app: 'chat-ui',
    env: 'prod',
    repo,
    pr: pr.number,
    mergeSha: pr.mergeSha,
  });
  const watchStatuses = (sha: string) =>
    double.statuses(FULL_NAME, sha).filter((s) => s.context === 'promobot/watch');
  const watchComments = (pr: number) =>
    double.comments(FULL_NAME, pr).filter((c) => c.body.startsWith(WATCH_COMMENT_MARKER));

  it('watches healthy prod until the watch ends, and rolls nothing back', async () => {
    const pr = await mergedPromotion('a1b2c3d');
    const target = watchTarget('chat-watched', pr);
    expect(await runner.watch(target)).toBe(true);
    expect(await runner.watch(target)).toBe(true);

    await waitFor('the end of the watch', async () =>
      (await runner.watchStatus(target)) === 'healthy' ? true : undefined,
    );
    const statuses = watchStatuses(pr.mergeSha);
    expect(statuses[0]?.state).toBe('pending');
    expect(statuses.at(-1)).toMatchObject({
      state: 'success',
      description: expect.stringContaining('healthy'),
    });
    // One watch despite two calls: rounds are numbered 1, 2, 3... once each.
    const rounds = statuses.map((s) => /round (\d+)/.exec(s.description)?.[1]).filter((r) => r !== undefined);
    expect(rounds).toEqual([...new Set(rounds)]);
    expect(watchComments(pr.number)).toHaveLength(1);
    expect(watchFailures.filter((f) => f.pr === pr.number)).toEqual([]);
    expect(double.violations).toEqual([]);
  });

  it('hands a failing watch to promotion with the evidence naming the slow model', async () => {
    const pr = await mergedPromotion('b2c3d4e');
    await runner.watch(watchTarget('chat-watched-slow', pr));

    const failure = await waitFor('the watch failure', () => watchFailures.find((f) => f.pr === pr.number));
    expect(failure).toMatchObject({
      policy: 'chat-watched-slow',
      app: 'chat-ui',
      env: 'prod',
      mergeSha: pr.mergeSha,
    });
    expect(failure.reason).toContain('qwen-2-7b');
    expect(failure.report).toContain(WATCH_COMMENT_MARKER);
    expect(failure.report).toContain('ttft-p95');
    expect(watchStatuses(pr.mergeSha).at(-1)?.state).toBe('failure');
    expect(await runner.watchStatus(watchTarget('chat-watched-slow', pr))).toBe('failed');
    expect(double.violations).toEqual([]);
  });

  it('does not watch an environment without watch', async () => {
    const pr = await mergedPromotion('c3d4e5f');
    expect(await runner.watch(watchTarget('chat', pr))).toBe(false);
    expect(watchStatuses(pr.mergeSha)).toEqual([]);
  });
});
