import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/index.js';
import { ENV_VARS, renderConfigReference, withConfigReference } from '../../src/config/index.js';

const README = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md');
const readme = () => readFileSync(README, 'utf8');

describe('README.md', () => {
  it('holds the configuration reference exactly as src/config/schema.ts generates it', () => {
    const text = readme();
    // On failure: paste renderConfigReference() between the markers (withConfigReference does it).
    expect(text).toBe(withConfigReference(text));
  });

  it('lists every variable promobot reads, with its default', () => {
    const reference = renderConfigReference();
    for (const variable of ENV_VARS) {
      expect(reference).toContain(`| \`${variable.name}\` |`);
      if ('default' in variable) expect(reference).toContain(`\`${variable.default}\``);
    }
  });

  it('documents every command', () => {
    for (const command of COMMANDS) expect(readme()).toContain(`| \`promobot ${command.name}`);
  });

  it('still opens with the two commands', () => {
    expect(readme().split('\n').slice(0, 6).join('\n')).toMatch(
      /npm ci && cp -n .env.example .env && npm start[\s\S]*npm ci && npm test/,
    );
  });
});

describe('config/withConfigReference()', () => {
  it('replaces only the text between the markers', () => {
    const text = withConfigReference(
      [
        'before',
        '<!-- config-reference:start (generated from src/config/schema.ts ENV_VARS) -->',
        'stale',
        '<!-- config-reference:end -->',
        'after',
      ].join('\n'),
      'fresh',
    );
    expect(text).toBe(
      [
        'before',
        '<!-- config-reference:start (generated from src/config/schema.ts ENV_VARS) -->',
        'fresh',
        '<!-- config-reference:end -->',
        'after',
      ].join('\n'),
    );
  });

  it('refuses a README without the markers', () => {
    expect(() => withConfigReference('# no markers')).toThrow(/no section between/);
  });
});
