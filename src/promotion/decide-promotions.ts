import type { App, Environment, PolicySpec } from '../policy/schema.js';
import { parseDuration } from '../policy/schema.js';
import type { PromotionMeta } from './promotion-meta.js';

/** What the deploy repo's target branch says one environment runs. */
export interface Running {
  tag: string | null;
  digest?: string | undefined;
  /** When that tag landed there (ms since epoch), when known. */
  since: number | null;
  /** The first-parent commit of the target branch that brought the tag in, when known (rollout verification). */
  commit?: string | null | undefined;
}

/** A promotion PR of the bot's that is open now. */
export interface OpenPromotion {
  number: number;
  meta: PromotionMeta;
  /** Someone else committed to the bot's branch: the bot must never overwrite their work. */
  foreign: boolean;
}

export interface AppSnapshot {
  spec: PolicySpec;
  app: App;
  /** Keyed by environment name. */
  running: Readonly<Record<string, Running>>;
  /** The newest pushed image, for entry environments whose update mode is `pull-request`. */
  pushed: { tag: string; digest?: string | undefined; at: number } | null;
  /** Open promotion PRs of this app (rollback PRs are not listed here). */
  open: readonly OpenPromotion[];
  now: number;
}

export type PromotionAction =
  | {
      kind: 'open';
      env: string;
      from: string | undefined;
      tag: string;
      digest: string | undefined;
      previousTag: string | null;
    }
  | {
      kind: 'update';
      number: number;
      env: string;
      from: string | undefined;
      tag: string;
      digest: string | undefined;
      previousTag: string | null;
      /** The candidate has not yet run long enough upstream; merging waits until then. */
      soakingUntil: number | null;
    }
  | { kind: 'keep'; number: number; env: string; soakingUntil: number | null }
  | { kind: 'close'; number: number; env: string; reason: string }
  | { kind: 'hands-off'; number: number; env: string }
  | { kind: 'recheck'; env: string; at: number; reason: string };

/**
 * Reconciles one app: from what each environment runs and which PRs are open, what should happen next.
 * Pure and idempotent: running it again after its actions are done yields only `keep` actions, so every trigger
 * (an image push landed, a PR merged, a restart, a soak timer) can simply call it.
 */
export function decidePromotions(snapshot: AppSnapshot): PromotionAction[] {
  const actions: PromotionAction[] = [];
  const byName = new Map(snapshot.spec.environments.map((e) => [e.name, e]));

  for (const env of snapshot.spec.environments) {
    if (env.update !== 'pull-request') continue;
    const candidate = candidateFor(env, snapshot, byName);
    const target = snapshot.running[env.name]?.tag ?? null;
    const open = snapshot.open.filter((o) => o.meta.env === env.name && o.meta.kind === 'promotion');
    // Defensive: two open PRs for one app and environment must never exist; keep the newest, close the others.
    const [pr, ...extra] = [...open].sort((a, b) => b.number - a.number);
    for (const dup of extra)
      actions.push({
        kind: 'close',
        number: dup.number,
        env: env.name,
        reason: `superseded by #${pr?.number}`,
      });

    if (!candidate) continue;
    if (candidate.tag === target) {
      if (pr && !pr.foreign)
        actions.push({
          kind: 'close',
          number: pr.number,
          env: env.name,
          reason: `${env.name} already runs ${candidate.tag}`,
        });
      continue;
    }
    if (pr?.foreign) {
      actions.push({ kind: 'hands-off', number: pr.number, env: env.name });
      continue;
    }
    const soakingUntil = candidate.soakedAt > snapshot.now ? candidate.soakedAt : null;
    if (soakingUntil !== null)
      actions.push({
        kind: 'recheck',
        env: env.name,
        at: soakingUntil,
        reason: `${candidate.tag} soaks in ${env.from} until then`,
      });

    if (!pr) {
      // The next environment's PR opens only after the candidate has run long enough upstream.
      if (soakingUntil === null)
        actions.push({
          kind: 'open',
          env: env.name,
          from: env.from,
          tag: candidate.tag,
          digest: candidate.digest,
          previousTag: target,
        });
    } else if (pr.meta.tag !== candidate.tag || pr.meta.digest !== candidate.digest) {
      actions.push({
        kind: 'update',
        number: pr.number,
        env: env.name,
        from: env.from,
        tag: candidate.tag,
        digest: candidate.digest,
        previousTag: target,
        soakingUntil,
      });
    } else {
      actions.push({ kind: 'keep', number: pr.number, env: env.name, soakingUntil });
    }
  }
  return actions;
}

function candidateFor(
  env: Environment,
  snapshot: AppSnapshot,
  byName: ReadonlyMap<string, Environment>,
): { tag: string; digest: string | undefined; soakedAt: number } | null {
  if (env.from === undefined) {
    // An entry environment in pull-request mode takes the newest push.
    return snapshot.pushed ? { tag: snapshot.pushed.tag, digest: snapshot.pushed.digest, soakedAt: 0 } : null;
  }
  if (!byName.has(env.from)) return null;
  const upstream = snapshot.running[env.from];
  if (!upstream?.tag) return null;
  const soakMs = env.soak ? parseDuration(env.soak) : 0;
  // Unknown landing time: assume it landed now, so the soak is never skipped.
  const since = upstream.since ?? snapshot.now;
  return { tag: upstream.tag, digest: upstream.digest, soakedAt: soakMs > 0 ? since + soakMs : 0 };
}
