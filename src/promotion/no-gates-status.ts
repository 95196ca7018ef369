import type { CommitStatus } from '../scm/types.js';

/**
 * The `promobot/gates` status of a PR whose environment has no gates (or a rollback that skips them): `success`,
 * so branch protection that requires `promobot/gates` on the deploy branch (`promobot setup`) lets it merge.
 */
export function noGatesStatus(env: string, skipped: boolean): CommitStatus {
  return {
    context: 'promobot/gates',
    state: 'success',
    description: skipped ? `gates skipped: a rollback in ${env}` : `no gates in ${env}`,
  };
}
