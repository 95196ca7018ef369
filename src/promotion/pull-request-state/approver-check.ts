import type { Environment } from '../../policy/schema.js';
import type { Permission } from '../../scm/types.js';
import type { CommandAuthorization } from './command.js';

/** What is asked of the code host about a person; the only I/O of an authorization, passed in. */
export interface PermissionLookup {
  /** The user's permission on the deploy repo. */
  getPermission(user: string): Promise<Permission>;
  isTeamMember(org: string, team: string, user: string): Promise<boolean>;
}

/** What an approval is checked against again: the policy's environments, the PR's, and who asked for it. */
export interface ApproverContext {
  /** `owner/name` of the deploy repo, for messages. */
  deployRepo: string;
  /** The login promobot itself acts as. */
  botLogin: string;
  environments: readonly Environment[];
  environment: Environment;
  author: null;
  /** The people who asked for the PR (`/promote`, `/rollback`): its authors. */
  requesters: readonly string[];
}

/**
 * May `login` still approve the PR (write permission, the approvers list or team, not a requester)? ChatOps'
 * `authorize` of `/approve` answers; the worker's composition root passes it in, so the state never imports ChatOps.
 */
export type ApproverCheck = (
  login: string,
  context: ApproverContext,
  lookup: PermissionLookup,
) => Promise<CommandAuthorization>;
