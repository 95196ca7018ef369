import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../src/config/index.js';
import { REPO_ROOT } from './support/repo-root.js';

const INIT_DIR = join(REPO_ROOT, 'compose/gitea-init');
const script = readFileSync(join(INIT_DIR, 'init.sh'), 'utf8');

describe('compose/gitea-init', () => {
  it('holds a script that bash parses', () => {
    const result = spawnSync('bash', ['-n', join(INIT_DIR, 'init.sh')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('gives the bot token exactly the scopes the GITEA_TOKEN documentation asks for', () => {
    const scopes = /^TOKEN_SCOPES=(.+)$/m.exec(script)?.[1]?.split(',') ?? [];
    const documented = ENV_VARS.find((v) => v.name === 'GITEA_TOKEN')?.description ?? '';
    expect(scopes.sort()).toEqual(['read:organization', 'write:issue', 'write:repository']);
    for (const scope of scopes) expect(documented).toContain(scope);
  });

  it('registers the webhook active, as json, with the secret and the four events promobot handles', () => {
    const events = JSON.parse(/^HOOK_EVENTS='(.+)'$/m.exec(script)?.[1] ?? '[]') as string[];
    expect(events.sort()).toEqual(['issue_comment', 'pull_request', 'pull_request_review', 'push']);
    const wanted = /wanted="(.+)"$/m.exec(script)?.[1] ?? '';
    expect(wanted).toContain('\\"active\\":true');
    expect(wanted).toContain('\\"content_type\\":\\"json\\"');
    expect(wanted).toContain('\\"secret\\":$(json_string "$HOOK_SECRET")');
  });

  it('keeps credentials off the command line of curl', () => {
    expect(script).toContain('--netrc-file');
    expect(script).not.toMatch(/curl[^\n]*(-u |--user )/);
  });
});
