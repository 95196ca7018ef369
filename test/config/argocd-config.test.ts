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

describe('config: Argo CD', () => {
  it('is unset unless configured', () => {
    expect(loadConfig({}).argocd).toEqual({});
  });

  it('reads ARGOCD_URL (without its trailing slash), ARGOCD_TOKEN_FILE and ARGOCD_CA_FILE', () => {
    const config = loadConfig(
      {
        ARGOCD_URL: 'https://argocd.example.com/',
        ARGOCD_TOKEN_FILE: '/run/secrets/argocd-token',
        ARGOCD_CA_FILE: '/etc/promobot/argocd-ca.pem',
      },
      (path) => (path === '/run/secrets/argocd-token' ? 'eyJ.a.b\n' : ''),
    );
    expect(config.argocd).toEqual({
      url: 'https://argocd.example.com',
      token: 'eyJ.a.b',
      caFile: '/etc/promobot/argocd-ca.pem',
    });
  });

  it('needs ARGOCD_URL when ARGOCD_TOKEN is set', () => {
    expect(problemsOf(() => loadConfig({ ARGOCD_TOKEN: 'eyJ.a.b' }))).toEqual([
      'ARGOCD_URL: required when ARGOCD_TOKEN is set',
    ]);
  });

  it('refuses an ARGOCD_URL that is not http(s), naming the variable', () => {
    const [problem] = problemsOf(() => loadConfig({ ARGOCD_URL: 'argocd.example.com:443' }));
    expect(problem).toMatch(/^ARGOCD_URL: /);
  });
});
