import type { Config } from '../config/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import type { DoctorCheck } from '../hosts/ports/doctor-check.js';
import { syncWebhooks } from './sync-webhooks.js';

/** The webhook registrations, as `webhooks sync --check` sees them. */
export async function checkWebhooks(
  config: Config,
  policies: readonly PromotionPolicy[],
): Promise<DoctorCheck[]> {
  const outcomes = await syncWebhooks({ config, policies, checkOnly: true });
  return outcomes.map((o): DoctorCheck => {
    const base = { group: 'Webhooks', name: `${o.host} ${o.target}` };
    // Gitea and GitHub show hooks to repository admins only, and the bot's everyday token need not be one.
    if (o.action === 'failed' && o.host !== 'harbor' && (o.httpStatus === 403 || o.httpStatus === 404)) {
      return {
        ...base,
        status: 'warn',
        detail: `not checked: this token may not list the hooks of ${o.target} (only repository admins may)`,
        fix: "run `promobot webhooks sync --check` with a repository admin's token",
      };
    }
    switch (o.action) {
      case 'unchanged':
        return { ...base, status: 'pass', detail: `registered (hook ${o.id})` };
      case 'missing':
        return {
          ...base,
          status: 'fail',
          detail: "no hook at promobot's URL",
          fix: 'run `promobot webhooks sync`',
        };
      case 'differs':
        return {
          ...base,
          status: 'fail',
          detail: `hook ${o.id} differs: ${o.differences?.join('; ')}`,
          fix: 'run `promobot webhooks sync`',
        };
      default:
        return {
          ...base,
          status: 'fail',
          detail: o.message ?? o.action,
          fix: o.fix ?? 'run `promobot webhooks sync`',
        };
    }
  });
}
