import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, type EnvVar } from '../../src/config/index.js';
import { createComposeValidator } from './support/compose-schema.js';
import { composeReferences } from './support/compose-references.js';
import { COMPOSE_FILE, loadCompose, type ComposeService } from './support/load-compose.js';
import { REPO_ROOT } from './support/repo-root.js';

const compose = loadCompose();
const services = compose.services;
const promobotServices = Object.entries(services).filter(([, s]) => s.image === 'promobot:dev');
const service = (name: string): ComposeService => {
  const found = services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const volumeTargets = (s: ComposeService) =>
  (s.volumes ?? []).map((v) => v.split(':')[1] ?? '').filter((t) => t.startsWith('/'));

describe('docker-compose.yml', () => {
  const validate = createComposeValidator();

  it('is valid against the Compose Specification JSON Schema', () => {
    expect(validate(compose)).toEqual([]);
  });

  it('would be refused by that schema if it had a misspelled key, so the check has teeth', () => {
    const broken = { services: { redis: { image: 'redis:7.4-alpine', restart_policy: 'always' } } };
    expect(validate(broken).map((e) => e.params)).toContainEqual({ additionalProperty: 'restart_policy' });
  });

  it('references only files and folders that exist', () => {
    const refs = composeReferences(compose, dirname(COMPOSE_FILE));
    // Build context, Dockerfile, 3 secrets, policies, init script, seed repo, generator, prometheus.yml.
    expect(refs.length).toBeGreaterThanOrEqual(10);
    expect(refs.filter((ref) => !existsSync(ref.path))).toEqual([]);
  });

  it('defines every service, secret and named volume its services depend on', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) if (!services[dep]) missing.push(`${name} → ${dep}`);
      for (const secret of s.secrets ?? [])
        if (!compose.secrets?.[secret]) missing.push(`${name} → ${secret}`);
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (!/^[./~]/.test(source) && !(source in (compose.volumes ?? {})))
          missing.push(`${name} → ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('runs promobot serve and worker from the Dockerfile in the repository root', () => {
    expect(promobotServices.map(([, s]) => s.command?.[0]).sort()).toEqual(['serve', 'worker']);
    for (const [, s] of promobotServices) {
      expect(s.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    }
  });

  it('sets on promobot only variables that promobot reads', () => {
    const known = new Set<string>();
    for (const v of ENV_VARS as readonly EnvVar[]) {
      known.add(v.name);
      if (v.secret) known.add(`${v.name}_FILE`);
    }
    for (const [, s] of promobotServices) {
      expect(Object.keys(s.environment ?? {}).filter((name) => !known.has(name))).toEqual([]);
    }
  });

  it('hands promobot its secrets as files from compose secrets or the token volume, never as values', () => {
    const secretNames = (ENV_VARS as readonly EnvVar[]).filter((v) => v.secret).map((v) => v.name);
    for (const [name, s] of promobotServices) {
      const env = s.environment ?? {};
      expect(
        secretNames.filter((secret) => secret in env),
        name,
      ).toEqual([]);
      const fileVars = Object.entries(env).filter(([key]) => key.endsWith('_FILE'));
      expect(fileVars.length).toBeGreaterThanOrEqual(3);
      // The ChatOps state is signed in the stack too, with a key from a compose secret.
      expect(env.PROMOBOT_STATE_KEY_FILE, name).toBe('/run/secrets/promobot_state_key');
      // The release board needs a token; the stack reads a demo one from a compose secret.
      expect(env.PROMOBOT_UI_TOKEN_FILE, name).toBe('/run/secrets/promobot_ui_token');
      for (const [key, path] of fileVars) {
        const secret = /^\/run\/secrets\/(.+)$/.exec(path)?.[1];
        const fromSecret = secret !== undefined && (s.secrets ?? []).includes(secret);
        const fromVolume = volumeTargets(s).some((target) => path.startsWith(`${target}/`));
        expect(fromSecret || fromVolume, `${name}: ${key}=${path}`).toBe(true);
      }
    }
  });

  it('mounts the compose policies read-only where PROMOBOT_POLICIES points', () => {
    for (const [, s] of promobotServices) {
      expect(s.volumes).toContain(`./compose/policies:${s.environment?.PROMOBOT_POLICIES}:ro`);
    }
  });

  it('starts promobot only after Redis is healthy and Gitea is set up', () => {
    for (const [, s] of promobotServices) {
      expect(s.depends_on).toEqual({
        redis: { condition: 'service_healthy' },
        'gitea-init': { condition: 'service_completed_successfully' },
      });
    }
  });

  it('runs nothing as root but the one-shot that hands the token volume to uid 1000', () => {
    const asRoot = Object.entries(services)
      .filter(([, s]) => s.user === '0:0' || s.user === 'root' || s.user === '0')
      .map(([name]) => name);
    expect(asRoot).toEqual(['gitea-token-volume']);
    expect(service('gitea-init').depends_on?.['gitea-token-volume']).toEqual({
      condition: 'service_completed_successfully',
    });
  });

  it('has every service described in compose/README.md', () => {
    const readme = readFileSync(join(REPO_ROOT, 'compose/README.md'), 'utf8');
    expect(Object.keys(services).filter((name) => !readme.includes(`| \`${name}\` |`))).toEqual([]);
  });

  it('keeps Redis append-only on a named volume', () => {
    const redis = service('redis');
    expect(redis.command?.join(' ')).toContain('--appendonly yes');
    expect(redis.volumes).toContain('redis-data:/data');
  });

  it('runs Gitea rootless, and its init with the same data, config and image', () => {
    const gitea = service('gitea');
    const init = service('gitea-init');
    expect(gitea.image).toMatch(/-rootless$/);
    expect(init.image).toBe(gitea.image);
    for (const volume of gitea.volumes ?? []) expect(init.volumes).toContain(volume);
  });

  it('has the Gitea webhook post to promobot-serve with the secret promobot verifies', () => {
    const init = service('gitea-init').environment ?? {};
    const serve = service('promobot-serve');
    const hook = new URL(init.HOOK_URL ?? '');
    expect(hook.hostname).toBe('promobot-serve');
    expect(hook.port).toBe(serve.environment?.PORT);
    expect(hook.pathname).toBe('/webhooks/gitea');
    expect(init.HOOK_SECRET_FILE).toBe(serve.environment?.GITEA_WEBHOOK_SECRET_FILE);
    expect(init.TOKEN_FILE).toBe(serve.environment?.GITEA_TOKEN_FILE);
  });

  it('has Prometheus scrape the metrics generator and both promobot processes', () => {
    const config = parse(readFileSync(join(REPO_ROOT, 'compose/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((s) => s.targets));
    const port = service('llm-metrics').environment?.PORT;
    expect(targets.sort()).toEqual([`llm-metrics:${port}`, 'promobot-serve:8080', 'promobot-worker:8080']);
  });
});
