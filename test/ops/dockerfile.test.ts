import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDockerIgnored, parseDockerfile, type Instruction } from './support/parse-dockerfile.js';
import { REPO_ROOT } from './support/repo-root.js';

const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');
const runtime = dockerfile.stages.at(-1);
const last = (keyword: string): Instruction | undefined =>
  runtime?.instructions.filter((i) => i.keyword === keyword).at(-1);
const runs = (stage = runtime) =>
  (stage?.instructions ?? []).filter((i) => i.keyword === 'RUN').map((i) => i.args);
const baseImage = (from: string) =>
  from.replace(
    /^\$\{NODE_IMAGE\}$/,
    dockerfile.args.find((a) => a.keyword === 'ARG')?.args.split('=')[1] ?? '',
  );

describe('Dockerfile', () => {
  it('builds in one stage and runs from a small Node 20 image in another', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const stage of dockerfile.stages) {
      expect(baseImage(stage.from)).toMatch(/^node:20(\.\d+)*-(bookworm-slim|alpine[\d.]*)$/);
    }
  });

  it('compiles with the dev dependencies and installs only production ones in the image', () => {
    const build = dockerfile.stages[0];
    expect(runs(build)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^npm ci\b/), 'npm run build']),
    );
    expect(runs().some((r) => /npm ci --omit=dev/.test(r))).toBe(true);
    expect(runtime?.instructions).toContainEqual({ keyword: 'COPY', args: '--from=build /src/dist ./dist' });
  });

  it('installs git and the CA certificates in the image', () => {
    const install = runs().find((r) => r.includes('apt-get install'));
    expect(install).toMatch(/\bgit\b/);
    expect(install).toMatch(/\bca-certificates\b/);
  });

  it('runs as a numeric non-root user', () => {
    const user = last('USER')?.args ?? '';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it('starts promobot with `start` unless told another command', () => {
    expect(last('ENTRYPOINT')?.args).toBe('["node", "dist/main.js"]');
    expect(last('CMD')?.args).toBe('["start"]');
  });

  it('checks its health on /healthz', () => {
    expect(last('HEALTHCHECK')?.args).toMatch(/\/healthz/);
  });

  it('bakes no secret into the image', () => {
    const settings = [...dockerfile.args, ...dockerfile.stages.flatMap((s) => s.instructions)]
      .filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')
      .map((i) => i.args);
    for (const setting of settings) expect(setting).not.toMatch(/TOKEN|SECRET|PASSWORD|_KEY\b/i);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const sources = dockerfile.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(' ').slice(0, -1));
    expect(sources).toEqual([
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'src',
      'package.json',
      'package-lock.json',
    ]);
    for (const source of sources) {
      expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
      expect(isDockerIgnored(dockerignore, source), source).toBe(false);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, git history, tests and local secrets out of the build context', () => {
    for (const path of [
      'node_modules/express/package.json',
      'dist/main.js',
      '.git/config',
      'test/ops/dockerfile.test.ts',
      'compose/secrets/gitea-admin-password.txt',
      '.env',
      '.env.local',
      '.data/repos/x',
    ]) {
      expect(isDockerIgnored(dockerignore, path), path).toBe(true);
    }
  });
});
