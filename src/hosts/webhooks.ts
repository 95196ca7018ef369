import type { Source } from '../events/types.js';
import { argocdWebhook } from './argocd/webhook.js';
import { giteaWebhook } from './gitea/webhook.js';
import { githubWebhook } from './github/webhook.js';
import { harborWebhook } from './harbor/webhook.js';
import { registryWebhook } from './registry/webhook.js';
import type { WebhookSource } from './webhook-source.js';

/**
 * The webhook part of every host, which is all the http layer may see of a host (each entry reaches only the
 * host's `webhook.ts` and its normalizer, never its SCM client, hook setup or doctor checks). The full registry is
 * `hosts/index.ts`.
 */
export const WEBHOOK_SOURCES: Readonly<Record<Source, WebhookSource>> = Object.freeze({
  harbor: harborWebhook,
  registry: registryWebhook,
  gitea: giteaWebhook,
  github: githubWebhook,
  argocd: argocdWebhook,
});
