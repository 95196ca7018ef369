import { z } from 'zod';

export const HookHost = z.enum(['gitea', 'github', 'harbor']);
export type HookHost = z.infer<typeof HookHost>;

/** The hook promobot wants on one repository (or Harbor project). */
export interface WantedHook {
  readonly host: HookHost;
  /** `owner/name` for Gitea and GitHub, the project name for Harbor. */
  readonly target: string;
  readonly url: string;
  readonly events: readonly string[];
  /** Sent on create and update, never compared: hosts do not show a stored secret. */
  readonly secret: string;
  /** Further settings that must match when the host shows them (content type, payload format, ...). */
  readonly settings: Readonly<Record<string, string>>;
}

/** A hook as a host lists it, in the terms of {@link WantedHook}. */
export interface ExistingHook {
  readonly id: number;
  readonly url: string;
  readonly active: boolean;
  readonly events: readonly string[];
  /** What the host shows of the settings; a setting it hides is absent and not compared. */
  readonly settings: Readonly<Record<string, string | undefined>>;
}

/** What one host lets `webhooks sync` do with the hooks of one target. */
export interface HookClient {
  list(target: string): Promise<ExistingHook[]>;
  create(wanted: WantedHook): Promise<ExistingHook>;
  update(id: number, wanted: WantedHook): Promise<ExistingHook>;
}
