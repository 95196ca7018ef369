import type { ApplyChanges, CommitSpec, DeployRepo, TransactResult } from './deploy-repo.js';
import type { FileTree } from './file-tree.js';
import type { PendingChanges, PendingEntry } from './pending-changes.js';

export interface LandResult<T> extends TransactResult {
  /**
   * The entries this call committed (or found already in the tree) and acknowledged; empty when none were left
   * (then `commit` is null if the lock was not even taken).
   */
  landed: PendingEntry<T>[];
}

/**
 * The coalescing caller pattern: under the repo lock, take everything pending, let `build` edit the tree for all
 * of it and describe the commit, push, then acknowledge what landed — still under the lock, so the next holder
 * never re-applies it. Each attempt takes a fresh snapshot, so changes that arrive during a lost push race ride
 * along. With nothing pending (another worker landed this job's change), nothing is committed.
 *
 * Every entry of the snapshot is acknowledged once the commit is pushed, so `build` must skip (not throw on) an
 * entry it cannot apply: a throw fails the whole batch, and the bad entry would block the next batch too. Validate
 * values before `put`.
 */
export async function landPending<T>(
  repo: DeployRepo,
  pending: PendingChanges<T>,
  build: (
    tree: FileTree,
    entries: PendingEntry<T>[],
    context: { attempt: number; base: string },
  ) => Promise<CommitSpec | readonly CommitSpec[] | null>,
  options: {
    /**
     * The changes this caller put: once every one of them (or something newer for its key) has landed, the caller
     * stops waiting for the lock, even while other changes are pending. Without it, it waits until nothing is.
     */
    mine?: readonly { key: string; order: number }[];
  } = {},
): Promise<LandResult<T>> {
  let used: PendingEntry<T>[] = [];
  const apply: ApplyChanges = async (tree, context) => {
    used = await pending.snapshot();
    if (used.length === 0) return null;
    return build(tree, used, context);
  };
  const result = await repo.transact(apply, {
    // Empty means every change put before this call (this job's included) was acknowledged, which happens only
    // after its push: nothing left to do, so stop waiting for the lock.
    skipIf: async () => {
      if ((await pending.size()) === 0) return true;
      if (!options.mine?.length) return false;
      // In a burst the pending set is never empty: a job whose change already rode along in another's commit
      // would otherwise hold a worker slot waiting for the lock.
      for (const { key, order } of options.mine) {
        if (((await pending.landedOrder(key)) ?? -1) < order) return false;
      }
      return true;
    },
    // Acknowledged also when nothing changed: the tree already holds these values.
    onSettled: async () => {
      await pending.ack(used);
    },
  });
  return { ...result, landed: used };
}
