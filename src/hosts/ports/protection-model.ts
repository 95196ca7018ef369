/** The branch protection promobot wants on one deploy branch. */
export interface WantedProtection {
  readonly scm: 'gitea' | 'github';
  /** `owner/name`. */
  readonly repo: string;
  readonly branch: string;
  /** Statuses that must be `success` on a PR's head before anyone merges it (sorted). */
  readonly contexts: readonly string[];
  /** People besides promobot who may push straight to the branch (sorted, lower case). */
  readonly pushers: readonly string[];
  /** Policies asking for it, for the output. */
  readonly policies: readonly string[];
}

/** What `promobot setup` would change on one branch, and how. */
export type ProtectionPlan =
  | { readonly action: 'keep' }
  | {
      readonly action: 'create' | 'update';
      readonly differences: readonly string[];
      readonly apply: () => Promise<void>;
    }
  /** A rule promobot will not change (a glob rule covering other branches too) is not as wanted. */
  | {
      readonly action: 'conflict';
      readonly differences: readonly string[];
      /** What the operator can do, in words. */
      readonly fix: string;
    };

/**
 * One host's branch protection: reads the branch's rule and plans the change (reads only until `apply`). Each code
 * host has its own in `src/hosts/<host>/protection.ts`.
 */
export interface ProtectionClient {
  /** `bot`: the login promobot acts as, when the token used is someone else's (an admin's); else the token's user. */
  plan(wanted: WantedProtection, bot?: string): Promise<ProtectionPlan>;
}
