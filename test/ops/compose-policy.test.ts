import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImagePushed } from '../../src/events/index.js';
import { normalizeHarbor } from '../../src/hosts/harbor/normalize.js';
import { findAppByImage } from '../../src/policy/find-app-by-image.js';
import { loadPolicies } from '../../src/policy/load-policies.js';
import { REPO_ROOT } from './support/repo-root.js';
import { readYamlDocuments } from './support/read-yaml-documents.js';
import { validateK8sObject, type K8sObject } from './support/validate-k8s-object.js';

const COMPOSE_DIR = join(REPO_ROOT, 'compose');
const SEED_DIR = join(COMPOSE_DIR, 'deploy-repo');

async function composePolicies() {
  const { policies, problems } = await loadPolicies(join(COMPOSE_DIR, 'policies'));
  expect(problems).toEqual([]);
  return policies;
}

function seedManifests(): { file: string; object: K8sObject }[] {
  const files = readdirSync(SEED_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml') && !f.endsWith('kustomization.yaml'))
    .sort();
  return files.flatMap((file) =>
    readYamlDocuments(join(SEED_DIR, file)).map((object) => ({ file, object: object as K8sObject })),
  );
}

describe('compose/policies', () => {
  it('passes the same validation as `promobot validate`', async () => {
    expect((await composePolicies()).map((p) => p.metadata.name)).toEqual(['chat']);
  });

  it('points every environment at a folder of the seeded deploy repo', async () => {
    const [policy] = await composePolicies();
    const paths = policy?.spec.environments.map((e) => e.path) ?? [];
    expect(paths).toEqual(['chat-ui/dev', 'chat-ui/staging', 'chat-ui/prod']);
    expect(paths.filter((p) => !existsSync(join(SEED_DIR, p)))).toEqual([]);
  });
});

describe('compose/examples/harbor-push.json', () => {
  const body = JSON.parse(readFileSync(join(COMPOSE_DIR, 'examples/harbor-push.json'), 'utf8')) as unknown;

  it('is a Harbor push of an image and a tag that the compose policy promotes', async () => {
    const result = normalizeHarbor({ 'content-type': 'application/json' }, body);
    expect('events' in result).toBe(true);
    const [event] = 'events' in result ? (result.events as ImagePushed[]) : [];
    const match = findAppByImage(await composePolicies(), event?.registry ?? '', event?.repository ?? '');
    expect(match?.app.name).toBe('chat-ui');
    expect(event?.tag).toMatch(new RegExp(match?.app.tags.allow ?? '$^'));
  });

  it('carries a tag that no environment of the seed runs yet, so the curl changes something', () => {
    const result = normalizeHarbor({ 'content-type': 'application/json' }, body);
    const tag = 'events' in result ? (result.events[0] as ImagePushed).tag : '';
    const images = seedManifests().flatMap(
      ({ object }) => JSON.stringify(object).match(/chat-ui:[0-9a-f]+/g) ?? [],
    );
    expect(images.length).toBe(3);
    expect(images).not.toContain(`chat-ui:${tag}`);
  });

  it('is what the curl in compose/README.md sends, with the Harbor secret as Authorization', () => {
    const readme = readFileSync(join(COMPOSE_DIR, 'README.md'), 'utf8');
    expect(readme).toContain('curl -i http://localhost:8080/webhooks/harbor');
    expect(readme).toContain('--data-binary @compose/examples/harbor-push.json');
    expect(readme).toContain('-H "Authorization: $(cat compose/secrets/harbor-webhook-secret.txt)"');
  });
});

describe('compose/deploy-repo', () => {
  it('holds Kubernetes objects that their schemas accept', async () => {
    const problems = await Promise.all(seedManifests().map(({ object }) => validateK8sObject(object)));
    expect(problems.flat()).toEqual([]);
  });

  it('pins every image to a git sha tag, never latest', () => {
    type PodTemplate = { template: { spec: { containers: { image: string }[] } } };
    const images = seedManifests()
      .filter(({ object }) => object.kind === 'Deployment')
      .flatMap(({ object }) => (object.spec as PodTemplate).template.spec.containers.map((c) => c.image));
    expect(images).toHaveLength(3);
    for (const image of images) expect(image).toMatch(/^harbor\.local\/bootcamp\/chat-ui:[0-9a-f]{7,40}$/);
  });
});
