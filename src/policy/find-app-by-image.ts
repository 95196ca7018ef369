import type { App, PromotionPolicy } from './schema.js';

export interface AppMatch {
  policy: PromotionPolicy;
  app: App;
}

/**
 * The app whose image is `registry/repository` (as an `ImagePushed` event names it), or null when no policy
 * promotes that image. Registry hosts are compared without regard to case; a validated policy set holds each
 * image once, so the first match is the only one.
 *
 * @example
 * findAppByImage(policies, 'harbor.example.com', 'bootcamp/chat-ui')
 */
export function findAppByImage(
  policies: readonly PromotionPolicy[],
  registry: string,
  repository: string,
): AppMatch | null {
  const wanted = `${registry}/${repository.replace(/^\/+/, '')}`.toLowerCase();
  for (const policy of policies) {
    const app = policy.spec.apps.find((a) => a.image.toLowerCase() === wanted);
    if (app) return { policy, app };
  }
  return null;
}
