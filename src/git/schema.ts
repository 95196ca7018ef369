import { z } from 'zod';

/** Who a bot commit is attributed to; committer defaults to the author. */
export const GitIdentity = z.object({
  name: z
    .string()
    .min(1)
    .regex(/^[^<>\n\r\0]+$/, 'a name without <, >, or line breaks'),
  email: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'an e-mail address like bot@example.com'),
});
export type GitIdentity = z.infer<typeof GitIdentity>;

/**
 * Where a token that changes comes from (a GitHub App's installation token, renewed every hour): asked before each
 * git command. `refused` is the token the server just turned down, so the source can make a new one.
 */
export type TokenSource = (refused?: string) => Promise<string>;

/** HTTPS credentials for one deploy repo. The token only ever travels in a per-command header. */
export const GitAuth = z.object({
  /**
   * Gitea reads a non-empty Basic password as a token whatever the user name (go-gitea/gitea
   * services/auth/basic.go); GitHub wants this user name for app installation tokens, so one default fits both.
   */
  username: z.string().min(1).default('x-access-token'),
  token: z.union([
    z.string().min(1),
    z.custom<TokenSource>((value) => typeof value === 'function', 'a token or a function giving one'),
  ]),
});
export type GitAuth = z.input<typeof GitAuth>;

const remoteUrl = z
  .string()
  .min(1)
  .refine((url) => !/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(url), {
    message: 'credentials in the URL would be written to disk: pass the token as auth.token instead',
  })
  .refine((url) => !url.startsWith('-'), { message: 'a URL, not an option' });

/** Where a deploy repo lives and how promobot writes to it. */
export const DeployRepoOptions = z.object({
  url: remoteUrl,
  branch: z
    .string()
    .min(1)
    .regex(/^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+$/, 'a branch name'),
  dataDir: z.string().min(1),
  author: GitIdentity,
  committer: GitIdentity.optional(),
  auth: GitAuth.optional(),
  /** Attempts at push before a `TransientError`; each rejected push re-runs `apply` on the new tip. */
  maxAttempts: z.number().int().min(1).max(50).default(6),
  /** First backoff step after a rejected push; doubled each time, with full jitter. */
  retryBaseMs: z.number().int().min(0).default(40),
  retryMaxMs: z.number().int().min(0).default(1_000),
  /** Kill a git command that makes no progress for this long. */
  commandTimeoutMs: z.number().int().positive().default(120_000),
  lock: z
    .object({
      ttlMs: z.number().int().positive().default(30_000),
      waitMs: z.number().int().min(0).default(120_000),
      prefix: z.string().min(1).default('promobot'),
    })
    .prefault({}),
});
export type DeployRepoOptions = z.input<typeof DeployRepoOptions>;
export type ResolvedDeployRepoOptions = z.output<typeof DeployRepoOptions>;
