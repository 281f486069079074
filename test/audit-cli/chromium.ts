import { existsSync } from 'node:fs';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium (scripts/install-browser.sh installs it), or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the browser is there. In CI it must be: a missing browser fails the run instead of skipping it. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is missing: the HTML report's browser test needs it. Install it with: npm run install:browser`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n!!! SKIPPING the browser test: ${message}\n`);
  return false;
}

/**
 * Headless Chromium with a fresh profile in the folder given. The flags keep it from reaching for the network
 * (updates, sync, QUIC), which stalls it on a machine without one.
 */
export async function launchChromium(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
