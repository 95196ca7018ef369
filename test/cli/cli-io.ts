import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/index.js';
import { loadConfig, type Env } from '../../src/config/index.js';
import { createLogger } from '../../src/logger/index.js';

/** A CLI process for tests: the environment given, output collected, no jobs, never stopped. */
export function testIo(env: Env): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env,
    config: () => loadConfig(env),
    logger: () => createLogger({ level: 'silent' }),
    jobs: async () => ({ handlers: {}, start: async () => undefined, close: async () => undefined }),
    stopped: new Promise(() => undefined),
    hangups: () => () => undefined,
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

/** A temp policies folder with the given files (name → YAML). */
export function policiesDir(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'promobot-setup-')), 'policies');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
