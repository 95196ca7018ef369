import { z } from 'zod';
import { headerValue, type NormalizeResult, type WebhookHeaders } from '../../events/normalize-result.js';
import { PayloadValidationError } from '../../events/payload-validation-error.js';
import type { ImagePushed } from '../../events/types.js';

/**
 * Most resources (tags of the one pushed artifact) one Harbor delivery may list. A real push lists a handful; a
 * delivery of thousands would queue a job each and hold the intake for seconds, so it is refused with 400.
 */
export const MAX_HARBOR_RESOURCES = 256;

/** `event_data` of a Harbor delivery (goharbor/harbor src/pkg/notifier/model/event.go). */
export const HarborEventData = z.object({
  resources: z
    .array(
      z.object({
        digest: z.string().optional(),
        tag: z.string().optional(),
        resource_url: z.string().min(1),
      }),
    )
    .min(1)
    .max(MAX_HARBOR_RESOURCES),
  repository: z.object({
    name: z.string().min(1),
    namespace: z.string().min(1),
    repo_full_name: z.string().min(1),
  }),
});
export type HarborEventData = z.infer<typeof HarborEventData>;

/** Harbor's "Default" payload format. */
export const HarborDefaultPayload = z.object({
  type: z.string().min(1),
  occur_at: z.number().int().nonnegative(),
  operator: z.string().optional(),
  event_data: z.unknown(),
});
export type HarborDefaultPayload = z.infer<typeof HarborDefaultPayload>;

/** Harbor's CloudEvents payload format: `data` is the Default format's `event_data`. */
export const HarborCloudEvent = z.object({
  specversion: z.string().min(1),
  id: z.string().min(1),
  type: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  data: z.unknown(),
});
export type HarborCloudEvent = z.infer<typeof HarborCloudEvent>;

const PUSH_TYPES = new Set(['PUSH_ARTIFACT', 'harbor.artifact.pushed']);

/**
 * Turns a Harbor delivery (Default or CloudEvents format, told apart by the content type) into one `ImagePushed`
 * per pushed resource that carries a real tag. Other event types, and pushes by digest only, are ignored.
 *
 * @example
 * normalizeHarbor({ 'content-type': 'application/json' }, JSON.parse(body));
 */
export function normalizeHarbor(headers: WebhookHeaders, body: unknown): NormalizeResult {
  const cloudEvents = (headerValue(headers, 'content-type') ?? '').startsWith('application/cloudevents+json');
  let type: string;
  let occurredAt: string;
  let rawData: unknown;
  let dataPath: string;
  if (cloudEvents) {
    const parsed = HarborCloudEvent.safeParse(body);
    if (!parsed.success) throw PayloadValidationError.fromZod('Harbor CloudEvent', parsed.error);
    ({ type, data: rawData } = parsed.data);
    occurredAt = new Date(parsed.data.time).toISOString();
    dataPath = 'data';
  } else {
    const parsed = HarborDefaultPayload.safeParse(body);
    if (!parsed.success) throw PayloadValidationError.fromZod('Harbor event', parsed.error);
    ({ type, event_data: rawData } = parsed.data);
    occurredAt = new Date(parsed.data.occur_at * 1000).toISOString();
    dataPath = 'event_data';
  }
  if (!PUSH_TYPES.has(type)) return { ignored: `Harbor event ${type} is not an artifact push` };

  const data = HarborEventData.safeParse(rawData);
  if (!data.success) {
    const error = PayloadValidationError.fromZod('Harbor event', data.error);
    throw new PayloadValidationError(
      'Harbor event',
      error.issues.map((issue) => `${dataPath}.${issue}`),
    );
  }
  const { repository, resources } = data.data;
  const events: ImagePushed[] = [];
  for (const resource of resources) {
    // Harbor puts the digest in `tag` when an artifact was pushed by digest: that is no tag to promote.
    if (resource.tag === undefined || resource.tag === '' || resource.tag.startsWith('sha256:')) continue;
    const registry = resource.resource_url.split('/')[0] ?? '';
    if (registry === '') continue;
    events.push({
      type: 'ImagePushed',
      source: 'harbor',
      registry,
      project: repository.namespace,
      // repo_full_name keeps nested paths (`project/team/app`), unlike `name` split at the first slash.
      repository: repository.repo_full_name,
      tag: resource.tag,
      ...(resource.digest ? { digest: resource.digest } : {}),
      occurredAt,
    });
  }
  if (events.length === 0) return { ignored: 'Harbor push carries no tag (pushed by digest only)' };
  return { events };
}
