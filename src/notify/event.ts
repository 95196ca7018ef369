import { z } from 'zod';
import { NotifyEventKind } from '../policy/schema.js';

/** Longest summary kept in an event: a sender-controlled reason (a refusal, a gate report) is cut here. */
export const MAX_SUMMARY_CHARS = 2000;

/**
 * A promotion event, as the runtime emits it. `sha` is what makes it unique: the PR's head for pr-opened and gate
 * verdicts, the merge commit for merged, the PR's head for a rollback.
 */
export const NotifyEvent = z
  .object({
    kind: NotifyEventKind,
    policy: z.string().min(1).max(63),
    app: z.string().min(1).max(63),
    env: z.string().min(1).max(63),
    pr: z.number().int().positive().optional(),
    url: z.string().max(2048).optional(),
    sha: z.string().regex(/^[0-9a-f]{4,64}$/),
    /**
     * What else makes the event one of its own, where the head alone does not: the comment a refusal answers
     * (`c<id>`), the end of the freeze window (`u<epoch ms>`). Part of the event id.
     */
    key: z
      .string()
      .regex(/^[0-9a-z]{1,40}$/)
      .optional(),
    summary: z.string().transform((s) => cap(s, MAX_SUMMARY_CHARS)),
    /** ISO time the event happened. */
    at: z.string().max(64),
  })
  .strict();
export type NotifyEvent = z.input<typeof NotifyEvent>;

export function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** bullmq job ids may not contain `:`; names are DNS labels and the sha is hex, so only `-` joins them. */
export function notifyEventId(event: NotifyEvent): string {
  const parts = [event.kind, event.policy, event.app, event.env, String(event.pr ?? 0), event.sha];
  return (event.key === undefined ? parts : [...parts, event.key]).join('-');
}

/** One line a person reads in a chat. */
export function renderEventText(event: z.output<typeof NotifyEvent>): string {
  const what: Record<z.output<typeof NotifyEventKind>, string> = {
    'pr-opened': 'promotion PR opened',
    'gates-passed': 'gates passed',
    'gates-failed': 'gates failed',
    merged: 'merged',
    'rolled-back': 'rollback PR opened',
    'command-refused': 'command refused',
    frozen: 'frozen',
    unfrozen: 'unfrozen',
    'waiting-for-approval': 'waiting for approval',
  };
  const pr = event.pr !== undefined ? ` #${event.pr}` : '';
  const link = event.url ? ` ${event.url}` : '';
  return `[${event.policy}/${event.app} → ${event.env}] ${what[event.kind]}${pr}: ${event.summary}${link}`;
}
