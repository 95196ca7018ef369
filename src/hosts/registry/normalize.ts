import { z } from 'zod';
import type { NormalizeResult, WebhookHeaders } from '../../events/normalize-result.js';
import { PayloadValidationError } from '../../events/payload-validation-error.js';
import type { ImagePushed } from '../../events/types.js';

/** One event of a CNCF distribution notification (distribution/distribution notifications/event.go). */
export const RegistryEvent = z.object({
  id: z.string(),
  timestamp: z.iso.datetime({ offset: true }),
  action: z.string().min(1),
  target: z.object({
    mediaType: z.string().optional(),
    digest: z.string().optional(),
    repository: z.string().min(1),
    url: z.string().optional(),
    tag: z.string().optional(),
  }),
  request: z.object({ host: z.string().optional() }).optional(),
});
export type RegistryEvent = z.infer<typeof RegistryEvent>;

/** The envelope (`application/vnd.docker.distribution.events.v2+json`): several events per request. */
/**
 * Most events one registry notification may carry. distribution batches a push's manifest and layer events into
 * one envelope (tens of events); thousands would queue a job each and hold the intake, so they are refused with 400.
 */
export const MAX_REGISTRY_EVENTS = 1000;

export const RegistryEnvelope = z.object({ events: z.array(RegistryEvent).max(MAX_REGISTRY_EVENTS) });
export type RegistryEnvelope = z.infer<typeof RegistryEnvelope>;

/** Layer pushes also produce events; only these kinds of object are images one can deploy by tag. */
const MANIFEST_MEDIA_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
]);

/** distribution/reference's tag grammar: a digest (`sha256:…`) never matches it. */
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * The tag of a manifest event. `target.tag` is set by registries since 2016 (distribution@afe2bdd, "attach tags
 * to manifest push and pull event notifications"); older ones and the project's own test envelope only carry the
 * tag at the end of `target.url` (`…/manifests/<reference>`), which we accept only when the reference is a tag and
 * not a digest.
 */
export function registryTag(target: RegistryEvent['target']): string | undefined {
  if (target.tag !== undefined && TAG.test(target.tag)) return target.tag;
  const match = /\/manifests\/([^/?#]+)$/.exec(target.url ?? '');
  const reference = match?.[1];
  return reference !== undefined && TAG.test(reference) ? reference : undefined;
}

/**
 * Turns a registry notification envelope into one `ImagePushed` per tagged manifest push. The registry host is
 * the `Host` the pushing client used (`request.host`, what it would pull from), else the host of `target.url`.
 */
export function normalizeRegistry(_headers: WebhookHeaders, body: unknown): NormalizeResult {
  const parsed = RegistryEnvelope.safeParse(body);
  if (!parsed.success) throw PayloadValidationError.fromZod('registry notification', parsed.error);
  const events: ImagePushed[] = [];
  for (const event of parsed.data.events) {
    if (event.action !== 'push') continue;
    if (!MANIFEST_MEDIA_TYPES.has(event.target.mediaType ?? '')) continue;
    const tag = registryTag(event.target);
    if (tag === undefined) continue;
    // An empty Host header is no host: fall back to the URL's.
    const registry = event.request?.host || hostOf(event.target.url);
    if (registry === undefined) continue;
    const repository = event.target.repository;
    events.push({
      type: 'ImagePushed',
      source: 'registry',
      registry,
      project: repository.split('/')[0] ?? repository,
      repository,
      tag,
      ...(event.target.digest ? { digest: event.target.digest } : {}),
      occurredAt: new Date(event.timestamp).toISOString(),
    });
  }
  if (events.length === 0) return { ignored: 'registry notification holds no tagged manifest push' };
  return { events };
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
