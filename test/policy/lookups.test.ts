import { describe, expect, it } from 'vitest';
import {
  downstreamOf,
  entryEnvironments,
  environmentPath,
  findAppByImage,
  findByDeployRepo,
  validatePolicyFiles,
} from '../../src/policy/index.js';

const { policies, problems } = validatePolicyFiles([
  {
    path: 'p.yaml',
    text: `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - { name: chat-ui, image: harbor.example.com/bootcamp/chat-ui }
    - { name: chat-api, image: "harbor.example.com:8443/bootcamp/nested/chat-api" }
  environments:
    - { name: dev, path: "{{ app }}/{{env}}/", update: commit }
    - { name: canary, path: "{{app}}/{{env}}", update: commit }
    - { name: staging, path: "{{app}}/{{env}}", update: pull-request, from: dev }
    - { name: perf, path: "{{app}}/{{env}}", update: pull-request, from: dev }
    - { name: prod, path: "{{app}}/{{env}}", update: pull-request, from: staging }
---
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: docs }
spec:
  deployRepo: { scm: github, repo: acme/deploy }
  apps:
    - { name: docs, image: ghcr.io/acme/docs }
  environments:
    - { name: dev, path: docs/dev, update: commit }
`,
  },
]);
const [chat, docs] = policies;
if (problems.length > 0 || chat === undefined || docs === undefined)
  throw new Error('fixture policies are invalid');

describe('policy lookups', () => {
  describe('findAppByImage()', () => {
    it('finds the app of an image pushed to the registry', () => {
      const match = findAppByImage(policies, 'harbor.example.com', 'bootcamp/chat-ui');
      expect(match?.policy).toBe(chat);
      expect(match?.app.name).toBe('chat-ui');
    });

    it('matches registries with a port and nested repositories', () => {
      expect(findAppByImage(policies, 'harbor.example.com:8443', 'bootcamp/nested/chat-api')?.app.name).toBe(
        'chat-api',
      );
    });

    it('ignores the case of the registry host', () => {
      expect(findAppByImage(policies, 'GHCR.io', 'acme/docs')?.policy).toBe(docs);
    });

    it('returns null for an image no policy promotes', () => {
      expect(findAppByImage(policies, 'harbor.example.com', 'bootcamp/chat-ui-old')).toBeNull();
      expect(findAppByImage(policies, 'other.example.com', 'bootcamp/chat-ui')).toBeNull();
    });
  });

  describe('entryEnvironments()', () => {
    it('lists the environments without from, in order', () => {
      expect(entryEnvironments(chat.spec).map((e) => e.name)).toEqual(['dev', 'canary']);
    });
  });

  describe('downstreamOf()', () => {
    it('lists the environments that take from the given one', () => {
      expect(downstreamOf(chat.spec, 'dev').map((e) => e.name)).toEqual(['staging', 'perf']);
      expect(downstreamOf(chat.spec, 'staging').map((e) => e.name)).toEqual(['prod']);
      expect(downstreamOf(chat.spec, 'prod')).toEqual([]);
    });
  });

  describe('environmentPath()', () => {
    it('replaces {{app}} and {{env}} and drops a trailing slash', () => {
      const [dev, , , , prod] = chat.spec.environments;
      const [ui] = chat.spec.apps;
      if (!dev || !prod || !ui) throw new Error('fixture');
      expect(environmentPath(dev, ui)).toBe('chat-ui/dev');
      expect(environmentPath(prod, ui)).toBe('chat-ui/prod');
    });
  });

  describe('findByDeployRepo()', () => {
    it('finds the policies writing to a deploy repo, ignoring the case of owner and name', () => {
      expect(findByDeployRepo(policies, 'gitea', 'Bootcamp/Notes-Deploy')).toEqual([chat]);
      expect(findByDeployRepo(policies, 'github', 'acme/deploy')).toEqual([docs]);
    });

    it('does not mix up hosts', () => {
      expect(findByDeployRepo(policies, 'github', 'bootcamp/notes-deploy')).toEqual([]);
    });
  });
});
