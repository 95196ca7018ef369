import { z } from 'zod';
import { httpFailureOf } from '../../errors/index.js';
import type { HarborClient } from './client.js';
import type { ExistingHook, HookClient, WantedHook } from '../ports/hook-model.js';

/** One target of a Harbor webhook policy (Harbor API v2.0 `WebhookTargetObject`). */
export const HarborWebhookTarget = z.object({
  type: z.string().optional(),
  address: z.string().optional(),
  auth_header: z.string().optional(),
  skip_cert_verify: z.boolean().optional(),
  payload_format: z.string().optional(),
});

/** A project webhook policy as Harbor lists it (`GET /projects/{project}/webhook/policies`). */
export const HarborWebhookPolicy = z.object({
  id: z.number().int(),
  name: z.string().optional(),
  enabled: z.boolean().optional(),
  event_types: z.array(z.string()).nullish(),
  targets: z.array(HarborWebhookTarget).nullish(),
});
export type HarborWebhookPolicy = z.infer<typeof HarborWebhookPolicy>;

const PAGE = 100;
/** The name of promobot's webhook policy in each project. */
const POLICY_NAME = 'promobot';
/** Harbor answers create and update with an empty body (the new policy's URL is in `Location`). */
const Empty = z.unknown();

function toExisting(policy: HarborWebhookPolicy, wantedUrl?: string): ExistingHook {
  const targets = policy.targets ?? [];
  const target = targets.find((t) => t.address === wantedUrl) ?? targets[0];
  return {
    id: policy.id,
    url: target?.address ?? '',
    active: policy.enabled ?? false,
    events: policy.event_types ?? [],
    settings: {
      type: target?.type,
      payload_format: target?.payload_format,
      skip_cert_verify: target?.skip_cert_verify === undefined ? undefined : String(target.skip_cert_verify),
    },
  };
}

function body(wanted: WantedHook) {
  return {
    name: POLICY_NAME,
    description: 'Image pushes to promobot',
    enabled: true,
    event_types: [...wanted.events],
    targets: [
      {
        type: wanted.settings.type ?? 'http',
        address: wanted.url,
        auth_header: wanted.secret,
        skip_cert_verify: wanted.settings.skip_cert_verify === 'true',
        payload_format: wanted.settings.payload_format ?? 'Default',
      },
    ],
  };
}

/**
 * Project webhook policies on Harbor. Harbor lists one policy with several targets; promobot's is the policy with
 * a target at its URL, and its auth header is sent on every change because Harbor does not show it back.
 */
export function createHarborHookClient(api: HarborClient): HookClient {
  const path = (project: string) => `/projects/${encodeURIComponent(project)}/webhook/policies`;
  const listRaw = async (project: string) => {
    const policies: HarborWebhookPolicy[] = [];
    for (let page = 1; ; page += 1) {
      const { data } = await api.request(
        'GET',
        `${path(project)}?page=${page}&page_size=${PAGE}`,
        z.array(HarborWebhookPolicy).nullable(),
      );
      policies.push(...(data ?? []));
      if ((data ?? []).length < PAGE) break;
    }
    return policies;
  };
  const list = async (project: string, wantedUrl?: string) =>
    (await listRaw(project)).map((policy) => toExisting(policy, wantedUrl));
  const find = async (wanted: WantedHook, id?: number) => {
    const found = (await list(wanted.target, wanted.url)).find((hook) =>
      id === undefined ? hook.url === wanted.url : hook.id === id,
    );
    if (!found) throw new Error(`Harbor did not list the policy it just wrote in project ${wanted.target}`);
    return found;
  };
  return {
    list: (project) => list(project),
    async create(wanted) {
      let headers: Headers;
      try {
        ({ headers } = await api.request('POST', path(wanted.target), Empty, body(wanted)));
      } catch (error) {
        // Harbor names policies uniquely per project: a policy named `promobot` at another address is ours from
        // an earlier PROMOBOT_PUBLIC_URL, so it moves to the new one instead of failing.
        if (httpFailureOf(error)?.status !== 409) throw error;
        const ours = (await listRaw(wanted.target)).find((policy) => policy.name === POLICY_NAME);
        if (ours === undefined) throw error;
        await api.request('PUT', `${path(wanted.target)}/${ours.id}`, Empty, body(wanted));
        return find(wanted, ours.id);
      }
      const id = Number(/\/(\d+)\/?$/.exec(headers.get('location') ?? '')?.[1]);
      return find(wanted, Number.isInteger(id) ? id : undefined);
    },
    async update(id, wanted) {
      await api.request('PUT', `${path(wanted.target)}/${id}`, Empty, body(wanted));
      return find(wanted, id);
    },
  };
}
