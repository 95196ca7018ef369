import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACCESS_RULES } from '../../src/scm/access-table.js';
import { REPO_ROOT } from './support/repo-root.js';

const INIT_DIR = join(REPO_ROOT, 'compose/gitea-init');
const script = readFileSync(join(INIT_DIR, 'init.sh'), 'utf8');

describe('compose/gitea-init', () => {
  it('holds a script that bash parses', () => {
    const result = spawnSync('bash', ['-n', join(INIT_DIR, 'init.sh')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('gives the bot token exactly the scopes of the Gitea access table (a write scope covers its read)', () => {
    const scopes = /^TOKEN_SCOPES=(.+)$/m.exec(script)?.[1]?.split(',') ?? [];
    const needed = new Set(ACCESS_RULES.filter((r) => r.host === 'gitea').map((r) => r.scope));
    for (const scope of needed) {
      if (scope.startsWith('read:') && needed.has(scope.replace('read:', 'write:'))) needed.delete(scope);
    }
    expect(scopes.sort()).toEqual([...needed].sort());
    expect(scopes.sort()).toEqual(['read:organization', 'read:user', 'write:issue', 'write:repository']);
  });

  it("makes the bot exactly what the access table's least privilege asks: repo admin and in the approvers' team", () => {
    const roles = new Set(ACCESS_RULES.filter((r) => r.host === 'gitea').map((r) => r.role));
    expect(roles.has('repo admin') && roles.has('team member')).toBe(true);
    expect(script).toContain(`api PUT "/repos/$ORG/$REPO/collaborators/$BOT_USER" '{"permission":"admin"}'`);
    expect(script).toContain('api PUT "/teams/$team_id/members/$BOT_USER"');
    // Never more: no site admin, no org owner.
    expect(script).not.toMatch(/--admin[^\n]*BOT_USER|BOT_USER[^\n]*--admin/);
    expect(script).not.toMatch(/Owners/);
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
