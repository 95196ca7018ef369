import { createHash } from 'node:crypto';
import type { DomainEvent, Source } from '../events/index.js';
import { JobId } from './job-data.js';

/**
 * The job id of one event of a delivery, so the same delivery (or the same image push) always maps to the same
 * job and bullmq enqueues it only once.
 *
 * - Gitea and GitHub name each delivery (`X-Gitea-Delivery`, `X-GitHub-Delivery`): `gitea-<delivery>`.
 * - Harbor and registry name none, and Harbor fires PUSH_ARTIFACT again when an existing artifact is pushed again:
 *   the id hashes what identifies the image (registry, repository, tag, digest), so the same image pushed twice —
 *   or announced by both Harbor and a registry notification — is one job.
 *
 * Throws when a sender's delivery id cannot be a job id (the http layer answers 400 before getting here).
 */
export function jobIdFor(source: Source, event: DomainEvent, deliveryId: string, index = 0): JobId {
  if (event.type === 'ImagePushed') {
    const hash = createHash('sha256')
      .update([event.registry, event.repository, event.tag, event.digest ?? ''].join('\0'))
      .digest('hex');
    return `image-${hash}`;
  }
  return JobId.parse(index === 0 ? `${source}-${deliveryId}` : `${source}-${deliveryId}-${index}`);
}
