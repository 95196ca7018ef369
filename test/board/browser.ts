import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where browser tests write their screenshots (git-ignored). */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

/** Debian's chromium, as `.ci/deps` installs it. */
export const CHROMIUM = process.env.PROMOBOT_CHROMIUM ?? '/usr/bin/chromium';

/**
 * A fresh headless Chromium profile: nothing reaches the network but the pages a test opens (no first-run, sync,
 * component updates or QUIC). Close it with `close()`, which also removes the profile.
 */
export async function startBrowser(
  options: { bypassCSP?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'promobot-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: options.viewport ?? { width: 1200, height: 800 },
    bypassCSP: options.bypassCSP ?? false,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
