import { normalizeArgoCd } from './normalize-argocd.js';
import { normalizeGitea } from './normalize-gitea.js';
import { normalizeGitHub } from './normalize-github.js';
import { normalizeHarbor } from './normalize-harbor.js';
import type { Normalizer } from './normalize-result.js';
import { normalizeRegistry } from './normalize-registry.js';
import type { Source } from './types.js';

/** One normalizer per source; the http layer looks the route's source up here. */
export const normalizers: Readonly<Record<Source, Normalizer>> = Object.freeze({
  harbor: normalizeHarbor,
  gitea: normalizeGitea,
  github: normalizeGitHub,
  registry: normalizeRegistry,
  argocd: normalizeArgoCd,
});
