/** One push through the running service, timed from the POST until its commit is the remote's branch tip. */
import { devPath, git } from './deploy-repo-fixture.js';
import { harborPush } from './harbor-push.js';
import type { PromobotService } from './promobot-service.js';
import { readRef, waitForRefChange } from './remote-ref.js';

/** Returns the milliseconds taken, and checks that the commit carries the tag in the app's dev Deployment. */
export async function promobotBump(
  service: PromobotService,
  bare: string,
  app: string,
  tag: string,
  occurAt: number,
): Promise<number> {
  const before = readRef(bare);
  const started = performance.now();
  const status = await service.postHarbor(harborPush(app, tag, occurAt));
  if (status !== 202) throw new Error(`promobot answered ${status} to a Harbor push`);
  const { commit, at } = await waitForRefChange(bare, before, { timeoutMs: 30_000 });
  const elapsed = at - started;
  if (!git(bare, 'show', `${commit}:${devPath(app)}`).includes(`:${tag}"`))
    throw new Error(`the commit promobot pushed does not carry ${app}:${tag}`);
  return elapsed;
}
