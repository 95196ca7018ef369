import { z } from 'zod';

/**
 * The ChatOps commands promobot understands, as data. `parseCommands` turns comment text into these; `authorize`
 * and the promotion-state reducers take them from there.
 */

/** The command words, in the order `/help` lists them. Commands are lowercase; `/Approve` is not `/approve`. */
export const COMMAND_NAMES = [
  'approve',
  'hold',
  'unhold',
  'promote',
  'rollback',
  'gates',
  'status',
  'help',
  'unfreeze',
] as const;
export const CommandName = z.enum(COMMAND_NAMES);
export type CommandName = z.infer<typeof CommandName>;

/** Same rule as environment names in the policy (`src/policy/schema.ts`): a DNS label. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The OCI distribution spec's tag grammar. */
export const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Longest `/hold` reason kept; a reason is a sentence, not a document. */
export const MAX_HOLD_REASON = 280;

export const EnvName = z.string().regex(DNS_LABEL, 'lowercase letters, digits and "-" (a DNS label)');
export type EnvName = z.infer<typeof EnvName>;

/** A tag a rollback may name: OCI grammar, and never the moving `latest`. */
export const RollbackTag = z
  .string()
  .regex(OCI_TAG, 'an image tag: letters, digits, "_", "." and "-", at most 128 characters')
  .refine((tag) => tag !== 'latest', 'a pinned tag, not latest');
export type RollbackTag = z.infer<typeof RollbackTag>;

export const ApproveCommand = z.object({
  name: z.literal('approve'),
  /** `/approve cancel`: withdraw one's own approval. */
  cancel: z.boolean(),
});
export const HoldCommand = z.object({
  name: z.literal('hold'),
  reason: z.string().min(1).max(MAX_HOLD_REASON).nullable(),
});
export const UnholdCommand = z.object({ name: z.literal('unhold') });
export const PromoteCommand = z.object({ name: z.literal('promote'), env: EnvName });
export const RollbackCommand = z.object({
  name: z.literal('rollback'),
  /** null: the environment of the PR the comment is on. */
  env: EnvName.nullable(),
  /** null: the tag the environment ran before its current one. */
  tag: RollbackTag.nullable(),
});
export const GatesCommand = z.object({ name: z.literal('gates') });
export const StatusCommand = z.object({ name: z.literal('status') });
export const HelpCommand = z.object({ name: z.literal('help') });
/** Merge this PR's current candidate now, inside a freeze window (an emergency; audited). */
export const UnfreezeCommand = z.object({ name: z.literal('unfreeze') });

export const Command = z.discriminatedUnion('name', [
  ApproveCommand,
  HoldCommand,
  UnholdCommand,
  PromoteCommand,
  RollbackCommand,
  GatesCommand,
  StatusCommand,
  HelpCommand,
  UnfreezeCommand,
]);
export type Command = z.infer<typeof Command>;

/** Commands that only read: anyone who can comment may use them. */
export const READ_ONLY_COMMANDS: ReadonlySet<CommandName> = new Set<CommandName>(['status', 'help']);

/** How a command is written back in replies and the audit list: `/approve cancel`, `/rollback prod to abc1234`. */
export function formatCommand(command: Command): string {
  switch (command.name) {
    case 'approve':
      return command.cancel ? '/approve cancel' : '/approve';
    case 'hold':
      return command.reason === null ? '/hold' : `/hold ${command.reason}`;
    case 'promote':
      return `/promote ${command.env}`;
    case 'rollback':
      return ['/rollback', command.env, command.tag === null ? null : `to ${command.tag}`]
        .filter((part) => part !== null)
        .join(' ');
    default:
      return `/${command.name}`;
  }
}

/**
 * Whether the person who gave a command may give it, as ChatOps' `authorize` decided; and why not. A command with
 * its authorization is an intent: what the promotion state applies.
 */
export type CommandAuthorization = { allowed: true } | { allowed: false; reason: string };
