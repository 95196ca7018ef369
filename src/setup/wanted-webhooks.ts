import type { Config } from '../config/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import type { WantedHook } from '../hosts/ports/hook-model.js';

/** Events a repository hook must send: everything promobot acts on (webhooks/README.md). */
export const SCM_HOOK_EVENTS = ['push', 'pull_request', 'issue_comment', 'pull_request_review'] as const;
export const HARBOR_HOOK_EVENTS = ['PUSH_ARTIFACT'] as const;

/** Something that keeps a hook from being wanted at all, with the exact fix. */
export interface SetupProblem {
  readonly host: WantedHook['host'];
  readonly target: string;
  readonly message: string;
  readonly fix: string;
}

export interface WantedWebhooks {
  readonly wanted: WantedHook[];
  readonly problems: SetupProblem[];
}

/** The Harbor project of an image written `registry/project/.../app`. */
export function harborProject(image: string): string | undefined {
  const [, project] = image.split('/');
  return project === undefined || project === '' ? undefined : project;
}

/**
 * Pure: which hooks the configuration and the policies ask for, one per deploy repository on Gitea or GitHub and
 * one per Harbor project of the apps' images (only when `HARBOR_URL` is set), and why any cannot be registered.
 */
export function wantedWebhooks(config: Config, policies: readonly PromotionPolicy[]): WantedWebhooks {
  const wanted: WantedHook[] = [];
  const problems: SetupProblem[] = [];
  const base = config.publicUrl;
  const seen = new Set<string>();
  const want = (hook: Omit<WantedHook, 'url' | 'secret'>, route: string, secrets: readonly string[]) => {
    const key = `${hook.host} ${hook.target.toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    const variable = `${hook.host.toUpperCase()}_WEBHOOK_SECRET`;
    const secret = secrets[0];
    if (base === undefined) {
      problems.push({
        ...pick(hook),
        message: 'PROMOBOT_PUBLIC_URL is not set, so there is no address to register',
        fix: 'set PROMOBOT_PUBLIC_URL to the URL at which the host reaches promobot, e.g. https://promobot.example.com',
      });
    } else if (secret === undefined) {
      problems.push({
        ...pick(hook),
        message: `${variable} is not set, so promobot would refuse every delivery`,
        fix: `set ${variable} (e.g. to the output of \`openssl rand -hex 32\`) for serve and for this command`,
      });
    } else {
      wanted.push({ ...hook, url: `${base}/webhooks/${route}`, secret });
    }
  };

  for (const policy of policies) {
    const { scm, repo } = policy.spec.deployRepo;
    if (scm === 'gitea') {
      want(
        {
          host: 'gitea',
          target: repo,
          events: SCM_HOOK_EVENTS,
          settings: { type: 'gitea', content_type: 'json', branch_filter: '*' },
        },
        'gitea',
        config.webhookSecrets.gitea,
      );
    } else {
      want(
        {
          host: 'github',
          target: repo,
          events: SCM_HOOK_EVENTS,
          settings: { content_type: 'json', insecure_ssl: '0' },
        },
        'github',
        config.webhookSecrets.github,
      );
    }
  }
  if (config.harbor.url !== undefined) {
    for (const policy of policies) {
      for (const app of policy.spec.apps) {
        const project = harborProject(app.image);
        if (project === undefined) continue;
        want(
          {
            host: 'harbor',
            target: project,
            events: HARBOR_HOOK_EVENTS,
            settings: { type: 'http', payload_format: 'Default', skip_cert_verify: 'false' },
          },
          'harbor',
          config.webhookSecrets.harbor,
        );
      }
    }
  }
  return { wanted, problems };
}

function pick(hook: { host: WantedHook['host']; target: string }) {
  return { host: hook.host, target: hook.target };
}
