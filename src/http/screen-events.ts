import { commentCommands } from '../chatops/handle-comment.js';
import type { DomainEvent } from '../events/index.js';
import { parseStopCommands } from '../chatops/stop-commands.js';
import { findAppByImage, findByDeployRepo, type PromotionPolicy } from '../policy/index.js';
import { verifiedApplications } from '../policy/verified-applications.js';

/** Why a delivery was answered 200 without a job: one label value per reason on `/metrics`. */
export type IgnoreReason =
  'not-acted-on' | 'no-command' | 'unknown-repository' | 'unknown-image' | 'unknown-application';

export interface Ignored {
  readonly reason: IgnoreReason;
  readonly message: string;
}

/**
 * Pure: why `event` cannot lead to any effect under `policies`, or null when it may. Intake answers such
 * deliveries 200 without a job, so every chat message of a Gitea instance with a system webhook costs no Redis write
 * and no worker turn. It drops only what the worker would drop without a word:
 * - a comment that asks nothing (no command line, nothing that looks like one: the worker's own reading);
 * - a review that neither approves nor rejects (a plain review comment changes no approval);
 * - any code-host event on a repository that no policy names as its deploy repo;
 * - an image push of an image that no policy promotes;
 * - an Argo CD notification about an Application that no policy verifies through.
 */
export function screenEvent(event: DomainEvent, policies: readonly PromotionPolicy[]): Ignored | null {
  if (event.type === 'ImagePushed') {
    if (findAppByImage(policies, event.registry, event.repository) !== null) return null;
    return {
      reason: 'unknown-image',
      message: `no policy promotes ${event.registry}/${event.repository}`,
    };
  }
  if (event.type === 'RolloutObserved') {
    const namespace = event.appNamespace;
    const known = verifiedApplications(policies).some(
      (a) =>
        a.name === event.application &&
        (namespace === undefined || (a.appNamespace ?? namespace) === namespace),
    );
    if (known) return null;
    return {
      reason: 'unknown-application',
      message: `no policy verifies through Argo CD Application ${event.application}`,
    };
  }
  if (findByDeployRepo(policies, event.scm, event.repo.fullName).length === 0) {
    return {
      reason: 'unknown-repository',
      message: `no policy names ${event.scm} repository ${event.repo.fullName} as its deploy repo`,
    };
  }
  if (event.type === 'CommentCreated') {
    const { commands, problems } = commentCommands(event);
    // On an issue, the global stop's /hold and /unhold are read by their own grammar.
    const stop = event.isPullRequest ? null : parseStopCommands(event.body);
    const asksStop = stop !== null && stop.commands.length + stop.problems.length > 0;
    if (commands.length === 0 && problems.length === 0 && !asksStop) {
      return {
        reason: 'no-command',
        message: event.isPullRequest
          ? 'the comment holds no command'
          : 'the comment holds no /promote, /rollback, /hold or /unhold',
      };
    }
  }
  if (event.type === 'ReviewSubmitted' && event.state === 'commented') {
    return { reason: 'no-command', message: 'a review that neither approves nor rejects changes nothing' };
  }
  return null;
}
