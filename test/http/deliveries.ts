import { createHmac, randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { fixtureBytes, stripLineComments } from '../support/fixtures.js';
import { TEST_SECRETS } from '../support/app.js';

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly ms: number;
}

/** POSTs raw bytes with the given headers and reads the JSON answer. */
export async function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string>,
): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed, ms: performance.now() - started };
}

export function giteaSignature(body: Buffer | string, secret: string = TEST_SECRETS.gitea): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Headers of a Gitea delivery as Gitea sends them (services/webhook/deliver.go), signed with `secret`. */
export function giteaHeaders(
  eventType: string,
  body: Buffer | string,
  options: { delivery?: string; secret?: string; signature?: string | null } = {},
): Record<string, string> {
  const coarse: Record<string, string> = {
    pull_request_sync: 'pull_request',
    pull_request_comment: 'issue_comment',
    pull_request_review_approved: 'pull_request_approved',
    pull_request_review_rejected: 'pull_request_rejected',
    pull_request_review_comment: 'pull_request_comment',
  };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-gitea-delivery': options.delivery ?? randomUUID(),
    'x-gitea-event': coarse[eventType] ?? eventType,
    'x-gitea-event-type': eventType,
  };
  const signature =
    options.signature === undefined ? giteaSignature(body, options.secret) : options.signature;
  if (signature !== null) headers['x-gitea-signature'] = signature;
  return headers;
}

export async function githubHeaders(
  event: string,
  body: string,
  options: { delivery?: string; secret?: string } = {},
): Promise<Record<string, string>> {
  return {
    'content-type': 'application/json',
    'x-github-delivery': options.delivery ?? randomUUID(),
    'x-github-event': event,
    'x-hub-signature-256': await sign(options.secret ?? TEST_SECRETS.github, body),
  };
}

export function harborHeaders(options: { cloudEvents?: boolean; authorization?: string } = {}) {
  return {
    'content-type': options.cloudEvents ? 'application/cloudevents+json' : 'application/json',
    authorization: options.authorization ?? TEST_SECRETS.harbor,
  };
}

export function registryHeaders(authorization: string = TEST_SECRETS.registry) {
  return { 'content-type': 'application/vnd.docker.distribution.events.v2+json', authorization };
}

/** The Harbor Default push fixture with its digest-only "tag" replaced by real tags (one resource per tag). */
export function harborPushWithTags(...tags: string[]): string {
  const payload = JSON.parse(fixtureBytes('harbor/push_artifact.default.json').toString('utf8')) as {
    event_data: { resources: { digest: string; tag: string; resource_url: string }[] };
  };
  const [resource] = payload.event_data.resources;
  if (resource === undefined) throw new Error('fixture has no resource');
  payload.event_data.resources = tags.map((tag) => ({
    ...resource,
    tag,
    resource_url: `localhost/harbor/alpine:${tag}`,
  }));
  return JSON.stringify(payload);
}

/** The CloudEvents push fixture, comments stripped, with a real tag. */
export function harborCloudEventWithTag(tag: string): string {
  const payload = JSON.parse(
    stripLineComments(fixtureBytes('harbor/push_artifact.cloudevents.jsonc').toString('utf8')),
  ) as { data: { resources: { tag: string; resource_url: string }[] } };
  for (const resource of payload.data.resources) {
    resource.tag = tag;
    resource.resource_url = `localhost/harbor/alpine:${tag}`;
  }
  return JSON.stringify(payload);
}
