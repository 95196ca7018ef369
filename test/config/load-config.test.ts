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
