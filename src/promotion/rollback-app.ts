import type { ScmKind } from '../events/index.js';
import type { Logger } from '../logger/index.js';
import type { NotifyEvent } from '../notify/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { repoRef, type ScmHost } from '../scm/index.js';
import { openRollback } from './open-rollback.js';
import type { DeployRepoPort } from './reconcile-app.js';

/** What a rollback acts through: the policies, their hosts and deploy repos, the notifier and the reconcile queue. */
export interface RollbackAppDeps {
  policyNamed: (name: string) => PromotionPolicy | undefined;
  scmFor: (kind: ScmKind) => ScmHost;
  botLogin: (kind: ScmKind) => Promise<string>;
  deployRepoPort: (policy: PromotionPolicy, logger: Logger) => DeployRepoPort;
  notify: (event: Omit<NotifyEvent, 'at'>) => Promise<void>;
  requestReconcile: (policy: string, app: string, reason: string) => Promise<void>;
  logger: Logger;
}

export type RollbackApp = (
  policy: string,
  app: string,
  env: string,
  toTag: string | undefined,
  evidence?: string,
) => Promise<{ pr: number; url: string; tag: string } | { refused: string }>;

/**
 * A rollback of an app in an environment (`/rollback`, a failed watch, a failed verification): the rollback PR is
 * opened (`open-rollback.ts`), the notification sinks told, and the app reconciled so the PR moves on.
 */
export function rollbackApp(deps: RollbackAppDeps): RollbackApp {
  return async (policyName, appName, env, toTag, evidence) => {
    const policy = deps.policyNamed(policyName);
    const app = policy?.spec.apps.find((a) => a.name === appName);
    if (!policy || !app) return { refused: `${appName} is not in policy ${policyName} any more` };
    const { scm: kind } = policy.spec.deployRepo;
    const result = await openRollback(
      { policyName, spec: policy.spec, app, env, toTag, evidence },
      {
        scm: deps.scmFor(kind),
        repo: repoRef(policy.spec.deployRepo.repo),
        deployRepo: deps.deployRepoPort(policy, deps.logger),
        logger: deps.logger,
        botLogin: await deps.botLogin(kind),
      },
    );
    if ('refused' in result) return result;
    await deps.notify({
      kind: 'rolled-back',
      policy: policyName,
      app: appName,
      env,
      pr: result.pr.number,
      url: result.pr.url,
      sha: result.pr.headSha,
      summary: `rollback to ${result.tag}${evidence ? `: ${evidence}` : ''}`,
    });
    await deps.requestReconcile(policyName, appName, `rollback PR #${result.pr.number} opened`);
    return { pr: result.pr.number, url: result.pr.url, tag: result.tag };
  };
}
