import type { Config } from '../config/index.js';
import { errorMessage, httpFailureOf } from '../errors/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { adviseHookFailure } from '../hosts/ports/advise.js';
import { decideHookChange } from './decide-hook-change.js';
import { HOOK_HOSTS } from '../hosts/index.js';
import type { HookClient, HookHost } from '../hosts/ports/hook-model.js';
import { wantedWebhooks } from './wanted-webhooks.js';

export type SyncAction = 'created' | 'updated' | 'unchanged' | 'missing' | 'differs' | 'failed';

/** What happened (or, in a check, would happen) to one hook. */
export interface SyncOutcome {
  readonly host: HookHost;
  readonly target: string;
  readonly action: SyncAction;
  readonly id?: number;
  /** For `updated` and `differs`: what was (or is) wrong with the hook. */
  readonly differences?: readonly string[];
  /** For `failed`: what went wrong and the exact fix. */
  readonly message?: string;
  readonly fix?: string;
  /** For `failed` after an HTTP answer: its status. */
  readonly httpStatus?: number;
}

export interface SyncWebhooksInput {
  readonly config: Config;
  readonly policies: readonly PromotionPolicy[];
  /** Only look: report `missing` and `differs` instead of creating and updating (used by `doctor`). */
  readonly checkOnly?: boolean;
  /**
   * Re-send promobot's hooks even when they match, so a new first secret reaches the hosts: no host shows a stored
   * secret, so a changed secret is the one difference `sync` cannot see.
   */
  readonly force?: boolean;
  /** Host clients; by default made from the configuration. */
  readonly clients?: Partial<Record<HookHost, HookClient>>;
}

/** The hook clients the configuration allows; a host without credentials has none. */
export function hookClientsFor(config: Config): Partial<Record<HookHost, HookClient>> {
  const clients: Partial<Record<HookHost, HookClient>> = {};
  for (const hooks of HOOK_HOSTS) {
    const client = hooks.client(config);
    if (client !== undefined) clients[hooks.host] = client;
  }
  return clients;
}

const missingClient = (host: HookHost): string =>
  HOOK_HOSTS.find((hooks) => hooks.host === host)?.missingCredentials ?? `configure ${host}`;

/**
 * Registers promobot's webhooks idempotently (see webhooks/README.md): per wanted hook, lists the target's hooks,
 * finds promobot's by URL, creates it when missing, repairs it when it differs, and leaves it alone when it
 * matches. Hooks at other URLs are never changed or deleted. Never throws for one hook's failure: it becomes a
 * `failed` outcome with its fix, and the other hooks are still synced.
 */
export async function syncWebhooks(input: SyncWebhooksInput): Promise<SyncOutcome[]> {
  const { wanted, problems } = wantedWebhooks(input.config, input.policies);
  const clients = input.clients ?? hookClientsFor(input.config);
  const outcomes: SyncOutcome[] = problems.map((p) => ({ ...p, action: 'failed' }));
  for (const hook of wanted) {
    const client = clients[hook.host];
    const base = { host: hook.host, target: hook.target };
    if (client === undefined) {
      outcomes.push({
        ...base,
        action: 'failed',
        message: `no credentials for ${hook.host}`,
        fix: missingClient(hook.host),
      });
      continue;
    }
    try {
      const decision = decideHookChange(await client.list(hook.target), hook);
      if (decision.action === 'keep' && input.force && !input.checkOnly) {
        await client.update(decision.id, hook);
        outcomes.push({
          ...base,
          action: 'updated',
          id: decision.id,
          differences: ['re-sent with the current secret'],
        });
      } else if (decision.action === 'keep') {
        outcomes.push({ ...base, action: 'unchanged', id: decision.id });
      } else if (decision.action === 'create') {
        if (input.checkOnly) outcomes.push({ ...base, action: 'missing' });
        else outcomes.push({ ...base, action: 'created', id: (await client.create(hook)).id });
      } else if (input.checkOnly) {
        outcomes.push({ ...base, action: 'differs', id: decision.id, differences: decision.differences });
      } else {
        await client.update(decision.id, hook);
        outcomes.push({ ...base, action: 'updated', id: decision.id, differences: decision.differences });
      }
    } catch (error) {
      const httpStatus = httpFailureOf(error)?.status;
      outcomes.push({
        ...base,
        action: 'failed',
        message: errorMessage(error),
        fix: adviseHookFailure(hook.host, hook.target, error),
        ...(httpStatus === undefined ? {} : { httpStatus }),
      });
    }
  }
  return outcomes;
}

/** One line per outcome and a closing summary, for `webhooks sync`. Pure. */
export function renderSyncOutcomes(outcomes: readonly SyncOutcome[]): string {
  const lines = outcomes.map((o) => {
    const where = `${o.host} ${o.target}`;
    const id = o.id === undefined ? '' : ` (hook ${o.id})`;
    switch (o.action) {
      case 'created':
        return `created  ${where}${id}`;
      case 'updated':
        return `updated  ${where}${id}: ${o.differences?.join('; ')}`;
      case 'unchanged':
        return `ok       ${where}${id}`;
      case 'missing':
        return `missing  ${where}`;
      case 'differs':
        return `differs  ${where}${id}: ${o.differences?.join('; ')}`;
      case 'failed':
        return `FAILED   ${where}: ${o.message}\n         fix: ${o.fix}`;
    }
  });
  const changed = outcomes.filter((o) => o.action === 'created' || o.action === 'updated').length;
  const failed = outcomes.filter((o) => o.action === 'failed').length;
  let summary: string;
  if (outcomes.length === 0) summary = 'no hooks wanted: no policy names a deploy repo';
  else if (changed === 0 && failed === 0)
    summary = 'nothing changed: every hook is already registered as wanted';
  else
    summary = `${changed} changed, ${failed} failed, ${outcomes.length - changed - failed} already as wanted`;
  return `${[...lines, summary].join('\n')}\n`;
}
