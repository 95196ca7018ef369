/**
 * A Harbor "Default" PUSH_ARTIFACT delivery for one tag of one app, shaped like the captured fixture
 * (`harbor/push_artifact.default.json`) with a real tag in place of its digest-only one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PROJECT, REGISTRY } from './deploy-repo-fixture.js';

export function harborPush(app: string, tag: string, occurAtSeconds: number): string {
  const digest = `sha256:${createHash('sha256').update(`${app}:${tag}`).digest('hex')}`;
  return JSON.stringify({
    type: 'PUSH_ARTIFACT',
    occur_at: occurAtSeconds,
    operator: 'harbor-jobservice',
    event_data: {
      resources: [{ digest, tag, resource_url: `${REGISTRY}/${PROJECT}/${app}:${tag}` }],
      repository: {
        date_created: occurAtSeconds,
        name: app,
        namespace: PROJECT,
        repo_full_name: `${PROJECT}/${app}`,
        repo_type: 'private',
      },
    },
  });
}

/** A new git-sha-like tag (40 hex), as CI tags images. */
export const newTag = () => randomBytes(20).toString('hex');
