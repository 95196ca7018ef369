import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { policyJsonSchema, renderPolicyJsonSchema } from '../../src/policy/index.js';

describe('policy/policyJsonSchema()', () => {
  it('matches the committed policies/schema.json (run: npx tsx src/policy/write-json-schema.ts)', async () => {
    expect(await readFile('policies/schema.json', 'utf8')).toBe(renderPolicyJsonSchema());
  });

  it('describes every field, so editors show help', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (typeof node !== 'object' || node === null) return;
      const properties = (node as { properties?: Record<string, unknown> }).properties;
      for (const [key, value] of Object.entries(properties ?? {})) {
        if (typeof (value as { description?: unknown }).description !== 'string')
          missing.push(`${path}.${key}`);
      }
      for (const [key, value] of Object.entries(node)) walk(value, `${path}/${key}`);
    };
    walk(policyJsonSchema(), '');
    expect(missing).toEqual([]);
  });

  describe('as an editor uses it', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(policyJsonSchema());

    it('accepts the worked example', async () => {
      const example: unknown = parse(await readFile('policies/chat.yaml', 'utf8'));
      expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    });

    it('flags a misspelt key, a bad enum and a path that climbs out of the repo', () => {
      const broken = {
        apiVersion: 'promobot.dev/v1alpha1',
        kind: 'PromotionPolicy',
        metadata: { name: 'chat' },
        spec: {
          deployRepo: { scm: 'gitlab', repo: 'a/b' },
          apps: [{ name: 'web', image: 'ghcr.io/acme/web' }],
          environments: [{ name: 'dev', path: '../other-team/dev', update: 'commit', automerge: true }],
        },
      };
      expect(validate(broken)).toBe(false);
      expect(validate.errors?.map((e) => [e.instancePath, e.keyword]).sort()).toEqual([
        ['/spec/deployRepo/scm', 'enum'],
        ['/spec/environments/0', 'additionalProperties'],
        ['/spec/environments/0/path', 'pattern'],
      ]);
    });
  });
});
