import { parseImageRef, type ImageRef } from '../images/index.js';
import type { ArgoApplication } from '../hosts/argocd/application.js';

/** What one Application says about the candidate's rollout. */
export type RolloutDecision =
  | { kind: 'verified'; revision: string }
  | { kind: 'waiting'; reason: string }
  | { kind: 'failed'; reason: string; evidence: RolloutEvidence };

/** What a failure shows in the PR: Argo CD's own words, and the resource that is not healthy. */
export interface RolloutEvidence {
  syncMessage?: string;
  healthMessage?: string;
  /** e.g. `Deployment chat-staging/chat-ui: Degraded (exceeded its progress deadline)` */
  resource?: string;
}

export interface RolloutInput {
  /** The environment the Application deploys, for the reason: `staging`. */
  environment: string;
  app: ArgoApplication;
  /** The candidate's image reference as promobot wrote it: `harbor.local/bootcamp/chat-ui:3f9c2ab`. */
  candidateImage: string;
  /** promobot's landing commit of the candidate in the deploy repo (full sha). */
  landingCommit: string;
  /**
   * Whether revision R contains the landing commit (R is it or descends from it), from the deploy repo. A revision
   * missing here (not fetched yet, or another source's revision) does not contain it.
   */
  contains: ReadonlyMap<string, boolean>;
}

const FAILED_PHASES = new Set(['Failed', 'Error']);

/** The revisions whose ancestry `decideRollout` needs: each source's synced revision, and the last sync's. */
export function revisionsToCheck(app: ArgoApplication): string[] {
  const status = app.status;
  const all = [...syncedRevisions(status?.sync), ...syncedRevisions(status?.operationState?.syncResult)];
  return [...new Set(all)];
}

/**
 * Verified means: Synced at a revision that contains the landing commit (any source's, for a multi-source
 * Application), Healthy, no sync running and the last one not failed, and the candidate image among the images
 * Argo CD reports. Degraded, or a failed sync, of a revision that contains the commit is a failure with evidence;
 * anything else (not compared yet, OutOfSync, an older revision, rolling out, unknown values) is waiting, with the
 * reason a person reads in the PR.
 */
export function decideRollout(input: RolloutInput): RolloutDecision {
  const { app, environment, landingCommit, contains } = input;
  const status = app.status ?? {};
  const want = short(landingCommit);
  const at = (revisions: string[]) =>
    revisions.length === 0 ? 'no revision' : revisions.map(short).join(', ');
  const holds = (revisions: string[]) => revisions.find((r) => contains.get(r) === true);
  const prefix = `${environment}: Argo CD`;

  const syncStatus = status.sync?.status ?? 'Unknown';
  const synced = syncedRevisions(status.sync);
  const operation = status.operationState;
  const operationRevisions = syncedRevisions(operation?.syncResult);
  const health = status.health?.status ?? 'Unknown';

  if (operation?.phase !== undefined && FAILED_PHASES.has(operation.phase)) {
    const failedRevision = holds(operationRevisions.length > 0 ? operationRevisions : synced);
    if (failedRevision !== undefined) {
      return {
        kind: 'failed',
        reason: `${prefix} sync of ${short(failedRevision)} ${operation.phase.toLowerCase()}: ${operation.message ?? 'no message'}`,
        evidence: compact({ syncMessage: operation.message, healthMessage: status.health?.message }),
      };
    }
  }

  if (syncStatus !== 'Synced') {
    const running = operation?.phase === 'Running' ? ', sync running' : '';
    const why = comparisonProblem(app);
    return {
      kind: 'waiting',
      reason: `${prefix} ${syncStatus} at ${at(synced)}${running}${why ? ` (${why})` : ''}, waiting for ${want}`,
    };
  }

  const revision = holds(synced);
  if (revision === undefined) {
    return {
      kind: 'waiting',
      reason: `${prefix} Synced at ${at(synced)}, which does not contain ${want} yet, waiting for ${want}`,
    };
  }

  if (operation?.phase === 'Running' || operation?.phase === 'Terminating') {
    return {
      kind: 'waiting',
      reason: `${prefix} Synced at ${short(revision)}, sync ${operation.phase}, waiting for it to finish`,
    };
  }
  if (health === 'Degraded') {
    const resource = unhealthyResource(app);
    return {
      kind: 'failed',
      reason: `${prefix} Degraded at ${short(revision)}: ${status.health?.message ?? resource ?? 'no message'}`,
      evidence: compact({ syncMessage: operation?.message, healthMessage: status.health?.message, resource }),
    };
  }
  if (operation?.phase !== undefined && operation.phase !== 'Succeeded') {
    return {
      kind: 'waiting',
      reason: `${prefix} Synced at ${short(revision)}, but its last sync ended ${operation.phase}${operation.message ? `: ${operation.message}` : ''}`,
    };
  }
  if (health !== 'Healthy') {
    const message = status.health?.message ?? unhealthyResource(app);
    return {
      kind: 'waiting',
      reason: `${prefix} Synced at ${short(revision)}, ${health}${message ? `: ${message}` : ''}, waiting for Healthy`,
    };
  }
  const images = status.summary?.images ?? [];
  if (!runsImage(images, input.candidateImage)) {
    return {
      kind: 'waiting',
      reason: `${prefix} Synced and Healthy at ${short(revision)}, but ${input.candidateImage} is not among its images (${images.slice(0, 5).join(', ') || 'none'})`,
    };
  }
  return { kind: 'verified', revision };
}

function syncedRevisions(
  sync: { revision?: string | undefined; revisions?: string[] | undefined } | undefined,
): string[] {
  if (sync === undefined) return [];
  if (sync.revisions !== undefined && sync.revisions.length > 0)
    return sync.revisions.filter((r) => r !== '');
  return sync.revision ? [sync.revision] : [];
}

/** The candidate runs when an image has its repository and its tag, or its digest. */
export function runsImage(images: readonly string[], candidate: string): boolean {
  const wanted = parseImageRef(candidate);
  if (!wanted.ok) return images.includes(candidate);
  return images.some((image) => {
    const parsed = parseImageRef(image);
    return parsed.ok && sameImage(parsed.ref, wanted.ref);
  });
}

function sameImage(running: ImageRef, wanted: ImageRef): boolean {
  if (running.repository !== wanted.repository) return false;
  if (wanted.digest !== undefined && running.digest !== undefined) return wanted.digest === running.digest;
  return wanted.tag !== undefined && running.tag === wanted.tag;
}

/** The first managed resource whose health is neither Healthy nor unset, as `Kind namespace/name: Status (message)`. */
function unhealthyResource(app: ArgoApplication): string | undefined {
  const resource = (app.status?.resources ?? []).find(
    (r) => r.health?.status !== undefined && r.health.status !== 'Healthy',
  );
  if (!resource) return undefined;
  const where = resource.namespace ? `${resource.namespace}/${resource.name ?? '?'}` : (resource.name ?? '?');
  const message = resource.health?.message ? ` (${resource.health.message})` : '';
  return `${resource.kind ?? 'resource'} ${where}: ${resource.health?.status ?? 'Unknown'}${message}`;
}

/** A comparison or sync error condition, which keeps an Application Unknown or OutOfSync. */
function comparisonProblem(app: ArgoApplication): string | undefined {
  const condition = (app.status?.conditions ?? []).find((c) => c.type !== undefined && /Error$/.test(c.type));
  return condition ? `${condition.type}: ${condition.message ?? ''}`.trim() : undefined;
}

function short(sha: string): string {
  return /^[0-9a-f]{40,64}$/.test(sha) ? sha.slice(0, 7) : sha;
}

function compact(evidence: { [K in keyof RolloutEvidence]: string | undefined }): RolloutEvidence {
  return Object.fromEntries(Object.entries(evidence).filter(([, v]) => v !== undefined)) as RolloutEvidence;
}
