import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config/loadConfig()', () => {
  it('gives defaults for everything optional', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.bodyLimitBytes).toBe(1024 * 1024);
    expect(config.webhookSecrets).toEqual({ harbor: [], gitea: [], github: [], registry: [], argocd: [] });
  });

  it("keeps bullmq's job lock and stalled check (30 s each) unless told, and names a bad value's variable", () => {
    expect(loadConfig({}).worker).toEqual({ lockDurationMs: 30_000, stalledIntervalMs: 30_000 });
    expect(
      loadConfig({ WORKER_LOCK_DURATION_MS: '4000', WORKER_STALLED_INTERVAL_MS: '1000' }).worker,
    ).toEqual({
      lockDurationMs: 4000,
      stalledIntervalMs: 1000,
    });
    const problems = problemsOf(() => loadConfig({ WORKER_STALLED_INTERVAL_MS: '10' }));
    expect(problems).toEqual([expect.stringMatching(/^WORKER_STALLED_INTERVAL_MS: at least 1000/)]);
  });

  it('takes a comma-separated list of webhook secrets so one can be rotated', () => {
    const config = loadConfig({ GITEA_WEBHOOK_SECRET: 'old-secret, new-secret' });
    expect(config.webhookSecrets.gitea).toEqual(['old-secret', 'new-secret']);
  });

  it('reads a secret from *_FILE, one list entry per line', () => {
    const files: Record<string, string> = {
      '/run/secrets/harbor': 'Bearer one\nBearer two\n',
      '/run/t': 'tok\n',
    };
    const config = loadConfig(
      {
        HARBOR_WEBHOOK_SECRET_FILE: '/run/secrets/harbor',
        GITEA_URL: 'http://gitea:3000/',
        GITEA_TOKEN_FILE: '/run/t',
      },
      (p) => files[p] ?? '',
    );
    expect(config.webhookSecrets.harbor).toEqual(['Bearer one', 'Bearer two']);
    expect(config.gitea).toEqual({ url: 'http://gitea:3000', token: 'tok' });
  });

  it('names the variable and what is wrong with it, every one at once', () => {
    const problems = problemsOf(() =>
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://x', GIT_AUTHOR_EMAIL: 'nope' }),
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^PORT: .*\(got "eighty"\)$/);
    expect(problems.some((p) => p.startsWith('REDIS_URL: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('GIT_AUTHOR_EMAIL: '))).toBe(true);
  });

  it('refuses a variable set both directly and as *_FILE', () => {
    expect(problemsOf(() => loadConfig({ GITHUB_TOKEN: 'a', GITHUB_TOKEN_FILE: '/x' }))).toEqual([
      'GITHUB_TOKEN and GITHUB_TOKEN_FILE are both set: keep one',
    ]);
  });

  it('says which *_FILE cannot be read', () => {
    const problems = problemsOf(() =>
      loadConfig({ GITHUB_TOKEN_FILE: '/missing' }, () => {
        throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      }),
    );
    expect(problems).toEqual(['GITHUB_TOKEN_FILE: cannot read /missing (ENOENT)']);
  });

  it('never echoes a secret value in its message', () => {
    const problems = problemsOf(() => loadConfig({ GITEA_URL: 'not a url', GITEA_TOKEN: 'x' }));
    expect(problems.join('\n')).toContain('GITEA_URL');
    const [problem] = problemsOf(() => loadConfig({ PROMETHEUS_USERNAME: 'u' }));
    expect(problem).toMatch(/PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD go together/);
  });
});

describe('config/loadConfig() GitHub App', () => {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const app = { GITHUB_APP_ID: '123456', GITHUB_APP_INSTALLATION_ID: '7890', GITHUB_APP_PRIVATE_KEY: pem };

  it('reads the App id, installation and private key, and no token', () => {
    const config = loadConfig(app);
    expect(config.github).toEqual({
      apiUrl: 'https://api.github.com',
      app: { appId: '123456', installationId: 7890, privateKey: pem.trim() },
    });
    expect(config.github.token).toBeUndefined();
  });

  it('reads the key from GITHUB_APP_PRIVATE_KEY_FILE, and a one-line key with \\n escapes', () => {
    const fromFile = loadConfig(
      { ...app, GITHUB_APP_PRIVATE_KEY: undefined, GITHUB_APP_PRIVATE_KEY_FILE: '/run/secrets/app.pem' },
      (path) => (path === '/run/secrets/app.pem' ? pem : ''),
    );
    expect(fromFile.github.app?.privateKey).toBe(pem.trim());
    const oneLine = loadConfig({ ...app, GITHUB_APP_PRIVATE_KEY: pem.trim().replace(/\n/g, '\\n') });
    expect(oneLine.github.app?.privateKey).toBe(pem.trim());
  });

  it('refuses a token and an App together, naming both', () => {
    expect(problemsOf(() => loadConfig({ ...app, GITHUB_TOKEN: 'ghp_x' }))).toEqual([
      'GITHUB_TOKEN and GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY are both set: keep one, a token or a GitHub App (GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY)',
    ]);
    const [problem] = problemsOf(() => loadConfig({ GITHUB_APP_ID: '1', GITHUB_TOKEN: 'ghp_x' }));
    expect(problem).toMatch(/^GITHUB_TOKEN and GITHUB_APP_ID are both set: keep one/);
  });

  it('names the App settings that are missing when only part is set', () => {
    expect(problemsOf(() => loadConfig({ GITHUB_APP_ID: '1' }))).toEqual([
      'GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY: required with GITHUB_APP_ID: a GitHub App needs GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE)',
    ]);
    const [problem] = problemsOf(() =>
      loadConfig({ GITHUB_APP_INSTALLATION_ID: '2', GITHUB_APP_PRIVATE_KEY: pem }),
    );
    expect(problem).toMatch(
      /^GITHUB_APP_ID: required with GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY/,
    );
  });

  it('refuses a malformed id or key without echoing the key', () => {
    const problems = problemsOf(() =>
      loadConfig({
        GITHUB_APP_ID: 'promobot',
        GITHUB_APP_INSTALLATION_ID: '-3',
        GITHUB_APP_PRIVATE_KEY: 'ghp_not_a_key_0123456789',
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^GITHUB_APP_ID: a number.*\(got "promobot"\)$/);
    expect(problems[1]).toMatch(/^GITHUB_APP_INSTALLATION_ID: a number/);
    expect(problems[2]).toMatch(/^GITHUB_APP_PRIVATE_KEY: not a PEM private key/);
    expect(problems.join('\n')).not.toContain('ghp_not_a_key');
  });
});
