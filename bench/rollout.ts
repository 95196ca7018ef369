/**
 * Rollout verification, through the running service: a candidate lands in staging (verified through Argo CD), the
 * prod PR waits with `promobot/rollout` pending, then Argo CD syncs and its notification reaches
 * `POST /webhooks/argocd`. Measured: the time from that notification to the prod PR's gate round starting (and to
 * the verification it goes through), and how many calls promobot made to Argo CD for each promotion.
 *
 * The real promobot (HTTP intake, worker, promotion runtime) on real Redis and git, the strict Gitea double, the
 * Argo CD double (contract-checked), and a real Prometheus the gates query (rounds every hour, so only their start
 * is in the way).
 */
import { writeFileSync } from 'node:fs';
import { DEPLOY_REPO, IMAGE, manifest, startGiteaWorld } from '../test/e2e/harness.js';
import { chatFamilies, SITUATIONS } from '../test/gates/chat-history.js';
import { TEST_SECRETS } from '../test/support/app.js';
import { git } from '../test/support/git.js';
import type { Bench } from './run.js';
import { ms, summarize } from './support/stats.js';

const PROMOTIONS = 30;
const REPO = DEPLOY_REPO;
const APPLICATION = 'alpine-staging';

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit, namespace: chat-dev }
    - name: staging
      path: '{{app}}/staging'
      update: pull-request
      from: dev
      autoMerge: true
      namespace: chat-staging
      verify: { provider: argocd, project: apps }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      namespace: chat-prod
      approvals: { required: 1 }
      gates: [ttft-p95, error-rate]
      gating: { interval: 1h, passes: 2, failureLimit: 1, maxInconclusive: 2h }
`;

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`bench rollout: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const rollout: Bench = {
  name: 'rollout',
  async run() {
    const world = await startGiteaWorld({
      name: 'bench-rollout',
      policy: POLICY,
      files: {
        'alpine/dev/app.yaml': manifest('0000000'),
        'alpine/staging/app.yaml': manifest('0000000'),
        'alpine/prod/app.yaml': manifest('0000000'),
      },
      access: {},
      prometheus: { families: chatFamilies(SITUATIONS.filter((s) => s.namespace === 'chat-staging')) },
      argocd: { allow: [`apps/${APPLICATION}`] },
      beforePromobot: ({ argocd: double, deploy: repo }) => {
        const head = () => git(repo.bare, 'rev-parse', 'main').trim();
        double!.addApp({
          name: APPLICATION,
          project: 'apps',
          revision: head(),
          images: [`${IMAGE}:0000000`],
        });
        double!.onRefresh(APPLICATION, () => double!.outOfSync(APPLICATION, head()));
      },
    });
    const { deploy, gitea } = world;
    const argocd = world.argocd!;
    const promobot = world.promobot!;
    const mainSha = () => git(deploy.bare, 'rev-parse', 'main').trim();
    try {
      const toGates: number[] = [];
      const toVerified: number[] = [];
      const calls: number[] = [];
      /** The time (epoch ms) of the first log line `msg` whose fields include `fields`. */
      const logged = (msg: string | readonly string[], fields: Record<string, unknown>) =>
        promobot.app
          .logLines()
          .find(
            (line) =>
              (typeof msg === 'string' ? line.msg === msg : msg.includes(line.msg as string)) &&
              Object.entries(fields).every(([k, v]) => line[k] === v),
          )?.time as number | string | undefined;
      for (let i = 0; i < PROMOTIONS; i++) {
        const tag = `${String(i + 1).padStart(7, '0')}abcdef`;
        const before = argocd.requests.length;
        await world.push(promobot.app.baseUrl, tag, Math.floor(Date.now() / 1000) + i);
        const landing = await until('staging to run the tag', () => {
          const sha = mainSha();
          return git(deploy.bare, 'show', `${sha}:alpine/staging/app.yaml`).includes(tag) ? sha : undefined;
        });
        const prod = await until('the held prod PR', async () => {
          const pr = gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');
          if (!pr || !pr.body.includes(tag)) return undefined;
          const statuses = gitea.statuses(REPO, pr.headSha);
          return statuses.some((s) => s.context === 'promobot/rollout' && s.state === 'pending')
            ? pr
            : undefined;
        });
        argocd.synced(APPLICATION, landing, [`${IMAGE}:${tag}`]);
        argocd.healthy(APPLICATION);
        const notified = Date.now();
        const answer = await fetch(`${promobot.app.baseUrl}/webhooks/argocd`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: TEST_SECRETS.argocd },
          body: JSON.stringify({ app: APPLICATION, appNamespace: 'argocd', revision: landing }),
        });
        if (answer.status !== 202) throw new Error(`bench rollout: notification answered ${answer.status}`);
        const started = await until('the gate round to start', () =>
          logged(['gates started', 'gates restarted for a new head'], { headSha: prod.headSha }),
        );
        const verified = logged('candidate verified running', { tag });
        toGates.push(new Date(started).getTime() - notified);
        if (verified !== undefined) toVerified.push(new Date(verified).getTime() - notified);
        calls.push(argocd.requests.length - before);
        if (process.env.PROMOBOT_BENCH_TRACE) console.log(`bench rollout: promotion ${i + 1} done`);
      }
      const gates = summarize(toGates);
      const verifiedIn = summarize(toVerified);
      const perPromotion = summarize(calls);
      return [
        '## Rollout verification',
        '',
        `${PROMOTIONS} promotions through the running service (real Redis, git and Prometheus; the strict Gitea ` +
          'double; the contract-checked Argo CD double). Each: a Harbor push lands in dev, the staging PR merges, ' +
          'the prod PR waits with `promobot/rollout` pending (staging OutOfSync after the refresh), then Argo CD ' +
          'syncs and its notification is posted to `/webhooks/argocd`. Times from that POST, in milliseconds ' +
          '(pino timestamps, so 1 ms resolution).',
        '',
        '| From the Argo CD notification to | n | p50 ms | p99 ms | max ms |',
        '|---|---:|---:|---:|---:|',
        `| staging verified (the reconcile asked Argo CD again) | ${verifiedIn.n} | ${ms(verifiedIn.p50)} | ${ms(verifiedIn.p99)} | ${ms(verifiedIn.max)} |`,
        `| the prod PR's gate round starting | ${gates.n} | ${ms(gates.p50)} | ${ms(gates.p99)} | ${ms(gates.max)} |`,
        '',
        `Argo CD calls per promotion: p50 ${perPromotion.p50}, max ${perPromotion.max} (\`GET /api/v1/applications/{name}\`: ` +
          'one with `?refresh=normal` after the landing, then one per notification or backoff poll; after ' +
          'verification none until the next landing).',
        '',
      ].join('\n');
    } catch (error) {
      if (process.env.PROMOBOT_BENCH_TRACE)
        writeFileSync(process.env.PROMOBOT_BENCH_TRACE, promobot.app.logText());
      throw error;
    } finally {
      await world.close();
    }
  },
};
