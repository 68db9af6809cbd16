// Launching Debian's chromium for the browser tests, through playwright-core (which never
// downloads a browser of its own). The flags keep chromium off the network: this machine's
// network is closed, and a report must render without one anyway.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.SEGKIT_CHROMIUM || '/usr/bin/chromium';

// playwright-core gives chromium a new empty profile of its own on every launch.
export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const close = async () => browser.close();
  return { browser, close };
}

// A failed check: prints what was expected and exits non-zero, so CTest reports it.
export function check(condition, message) {
  if (!condition) {
    console.error(`FAIL: ${message}`);
    process.exit(1);
  }
  console.log(`ok: ${message}`);
}

// Where screenshots go: SEGKIT_ARTIFACTS (set by CTest to build/test-artifacts), or a temp dir.
export function artifactDir() {
  const dir = process.env.SEGKIT_ARTIFACTS || path.join(os.tmpdir(), 'segkit-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
