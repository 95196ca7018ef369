import { posix } from 'node:path';
import { environmentPath } from './environment-path.js';
import type { PolicyIssue } from './policy-issue.js';
import type { PromotionPolicy } from './schema.js';

/** A policy and whatever tells the caller where it came from (its file and document). */
export interface PolicyEntry<S> {
  policy: PromotionPolicy;
  source: S;
}

export interface PolicySetIssue<S> extends PolicyIssue {
  source: S;
}

interface Claim<S> {
  entry: PolicyEntry<S>;
  envIndex: number;
  env: string;
  app: string;
  path: string;
}

/**
 * Checks what only holds across all policies together: policy names, app names and images are unique (an image
 * pushed to the registry must map to exactly one app), and no two policies write to the same folder of the same
 * deploy repo branch (nor one inside the other). Within one policy, one app may not use the same folder for two
 * environments. Each issue is reported on the later of the two claimants. Pure.
 */
export function checkPolicySet<S>(entries: readonly PolicyEntry<S>[]): PolicySetIssue<S>[] {
  const issues: PolicySetIssue<S>[] = [];
  const policyNames = new Map<string, PolicyEntry<S>>();
  const appNames = new Map<string, PolicyEntry<S>>();
  const images = new Map<string, { entry: PolicyEntry<S>; app: string }>();
  const claims = new Map<string, Claim<S>[]>();

  for (const entry of entries) {
    const { policy } = entry;
    const name = policy.metadata.name;
    const namedBefore = policyNames.get(name);
    if (namedBefore) {
      issues.push({
        source: entry.source,
        path: ['metadata', 'name'],
        message: `policy "${name}" is defined twice`,
      });
    } else {
      policyNames.set(name, entry);
    }

    policy.spec.apps.forEach((app, i) => {
      const before = appNames.get(app.name);
      if (before) {
        issues.push({
          source: entry.source,
          path: ['spec', 'apps', i, 'name'],
          message: `app "${app.name}" is already defined${elsewhere(before, entry)}`,
        });
      } else {
        appNames.set(app.name, entry);
      }
      const image = app.image.toLowerCase();
      const owner = images.get(image);
      if (owner) {
        issues.push({
          source: entry.source,
          path: ['spec', 'apps', i, 'image'],
          message: `image ${app.image} already belongs to app "${owner.app}"${elsewhere(owner.entry, entry)}: an image maps to exactly one app`,
        });
      } else {
        images.set(image, { entry, app: app.name });
      }
    });

    const repo = policy.spec.deployRepo;
    const repoKey = `${repo.scm}:${repo.repo.toLowerCase()}@${repo.branch}`;
    const reported = new Set<number>();
    for (const app of policy.spec.apps) {
      policy.spec.environments.forEach((env, envIndex) => {
        const path = normalizeRepoPath(environmentPath(env, app));
        const claim: Claim<S> = { entry, envIndex, env: env.name, app: app.name, path };
        const others = claims.get(repoKey) ?? [];
        const conflict = others.find((other) => conflicts(other, claim));
        if (conflict && !reported.has(envIndex)) {
          reported.add(envIndex);
          issues.push({
            source: entry.source,
            path: ['spec', 'environments', envIndex, 'path'],
            message: describeConflict(conflict, claim, `${repo.scm}:${repo.repo}@${repo.branch}`),
          });
        }
        others.push(claim);
        claims.set(repoKey, others);
      });
    }
  }
  return issues;
}

function conflicts<S>(a: Claim<S>, b: Claim<S>): boolean {
  if (a.entry !== b.entry) return a.path === b.path || isInside(a.path, b.path) || isInside(b.path, a.path);
  // Within one policy, apps may share an environment's folder (one kustomization for several images), but one
  // app needs a folder per environment, or promoting it would change nothing.
  return a.app === b.app && a.env !== b.env && a.path === b.path;
}

function describeConflict<S>(earlier: Claim<S>, later: Claim<S>, repo: string): string {
  if (earlier.entry === later.entry) {
    return `path ${later.path} is also environment "${earlier.env}"'s folder for app "${later.app}": each environment needs its own folder`;
  }
  const relation = earlier.path === later.path ? 'is' : 'overlaps';
  return `path ${later.path} ${relation} ${earlier.path} in ${repo}, claimed by policy "${earlier.entry.policy.metadata.name}" (environment "${earlier.env}", app "${earlier.app}")`;
}

function elsewhere<S>(before: PolicyEntry<S>, now: PolicyEntry<S>): string {
  return before === now ? ' in this policy' : ` in policy "${before.policy.metadata.name}"`;
}

function isInside(child: string, parent: string): boolean {
  return parent === '.' || child.startsWith(`${parent}/`);
}

/** `./chat-ui//dev/` → `chat-ui/dev`, so two spellings of one folder compare equal. */
export function normalizeRepoPath(path: string): string {
  const normal = posix.normalize(path).replace(/\/+$/, '');
  return normal === '' ? '.' : normal;
}
