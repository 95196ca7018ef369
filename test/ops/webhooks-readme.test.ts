import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_SOURCES } from '../../src/hosts/webhooks.js';
import { CONTRACTS_DIR } from '../support/fixtures.js';
import { documentedRequests, type DocumentedRequest } from './support/documented-requests.js';
import { REPO_ROOT } from './support/repo-root.js';

const readme = readFileSync(join(REPO_ROOT, 'webhooks/README.md'), 'utf8');
const requests = documentedRequests(readme, {
  GITEA_URL: 'https://gitea.example.com',
  HARBOR_URL: 'https://harbor.example.com',
  OWNER: 'bootcamp',
  REPO: 'notes-deploy',
  PROJECT: 'bootcamp',
  HOOK_ID: '7',
  PROMOBOT_PUBLIC_URL: 'https://promobot.example.com',
  GITEA_WEBHOOK_SECRET: 'gitea-secret',
  GITHUB_WEBHOOK_SECRET: 'github-secret',
  HARBOR_WEBHOOK_SECRET: 'Bearer harbor-secret',
});
const request = (method: string, url: string): DocumentedRequest => {
  const found = requests.find((r) => r.method === method && r.url === url);
  if (found === undefined) throw new Error(`webhooks/README.md has no ${method} ${url}`);
  return found;
};
const EVENTS = ['issue_comment', 'pull_request', 'pull_request_review', 'push'];

/** A validator for one schema of an API contract, its `$ref`s resolved inside the same document. */
function contractSchema(document: Record<string, unknown>, schema: object) {
  const { definitions, components } = document as { definitions?: unknown; components?: unknown };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile({ ...schema, definitions, components });
}

describe('webhooks/README.md', () => {
  it('creates and repairs the Gitea hook with bodies that the Gitea API contract accepts', () => {
    const swagger = JSON.parse(readFileSync(join(CONTRACTS_DIR, 'gitea-swagger.v1.json'), 'utf8')) as {
      definitions: Record<string, object>;
    };
    const hooks = 'https://gitea.example.com/api/v1/repos/bootcamp/notes-deploy/hooks';
    for (const [method, url, definition] of [
      ['POST', hooks, 'CreateHookOption'],
      ['PATCH', `${hooks}/7`, 'EditHookOption'],
    ] as const) {
      const validate = contractSchema(swagger, swagger.definitions[definition] ?? {});
      const { body } = request(method, url);
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
      expect(body).toMatchObject({
        active: true,
        config: {
          url: 'https://promobot.example.com/webhooks/gitea',
          content_type: 'json',
          secret: 'gitea-secret',
        },
      });
      expect([...(body as { events: string[] }).events].sort()).toEqual(EVENTS);
    }
    const create = contractSchema(swagger, swagger.definitions['CreateHookOption'] ?? {});
    expect(create({ type: 'webhook', config: {} }), 'an unknown hook type is refused').toBe(false);
  });

  it('creates the GitHub hook with a body that the GitHub API contract accepts', () => {
    const path = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
    const openapi = JSON.parse(readFileSync(path, 'utf8')) as {
      paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: object }> } }>>;
    };
    const operation = openapi.paths['/repos/{owner}/{repo}/hooks']?.post;
    const validate = contractSchema(
      openapi,
      operation?.requestBody.content['application/json']?.schema ?? {},
    );
    const { body } = request('POST', 'https://api.github.com/repos/bootcamp/notes-deploy/hooks');
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...(body as object), secret: 'misplaced' }), 'an unknown field is refused').toBe(false);
    expect(body).toMatchObject({
      name: 'web',
      active: true,
      config: {
        url: 'https://promobot.example.com/webhooks/github',
        content_type: 'json',
        secret: 'github-secret',
      },
    });
    expect([...(body as { events: string[] }).events].sort()).toEqual(EVENTS);
  });

  it('creates the Harbor policy for artifact pushes with the auth header promobot checks', () => {
    const { body } = request(
      'POST',
      'https://harbor.example.com/api/v2.0/projects/bootcamp/webhook/policies',
    );
    expect(body).toEqual({
      name: 'promobot',
      description: expect.any(String),
      enabled: true,
      event_types: ['PUSH_ARTIFACT'],
      targets: [
        {
          type: 'http',
          address: 'https://promobot.example.com/webhooks/harbor',
          auth_header: 'Bearer harbor-secret',
          skip_cert_verify: false,
          payload_format: 'Default',
        },
      ],
    });
  });

  it('names every answer promobot gives to a delivery', () => {
    for (const status of [202, 200, 400, 401, 413, 415, 503]) expect(readme).toContain(`| **${status}** |`);
  });

  it('names, for every sender, the route, content types, headers and secret variable promobot checks', () => {
    for (const spec of Object.values(WEBHOOK_SOURCES)) {
      const row = readme.split('\n').find((line) => line.includes(`\`POST /webhooks/${spec.source}\``)) ?? '';
      const lower = row.toLowerCase();
      for (const type of spec.contentTypes) expect(row, spec.source).toContain(`\`${type}\``);
      for (const name of spec.requiredHeaders.flat()) expect(lower, spec.source).toContain(`\`${name}\``);
      expect(lower, spec.source).toContain(spec.credential.replace(/ header$/, '').toLowerCase());
      expect(row, spec.source).toContain(`\`${spec.secretVariable}\``);
    }
  });
});
