/**
 * How tcp-lab launches Debian's Chromium (browser tests, the report's scrub timing and
 * Lighthouse runs): headless, no sandbox (CI runs as root), and nothing that phones home.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
