// The live widgets in Debian's Chromium, over http (dist) and from disk (dist-offline):
// the timeline's ss table and accept queue at the end of the seed collision, the profile switch
// (re-sent SYN ~10 ms after the RST on 6.x instead of ~1 s), a pcap that tshark reads, both
// languages and both colour schemes, with no console errors. The sandbox terminal's tests are in
// sandbox.test.ts.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserAndSite, watchedPage } from './helpers.ts';
import { findTool } from '../helpers/tools.ts';

const site = browserAndSite();
const fileBase = site.fileBase;
const modes = [
  { name: 'http', url: (p: string) => `${site.httpBase}${p}/` },
  { name: 'file://', url: (p: string) => `${fileBase}${p}/index.html` },
];

async function sim(page: Page) {
  const w = page.locator('tcp-lab-sim').first();
  // the widget simulates when it comes into view (before that: the build-time pictures)
  expect(await w.getAttribute('data-ready')).toBeNull();
  await w.scrollIntoViewIfNeeded();
  await w.locator('[data-testid="timeline"]').waitFor();
  return w;
}

/** A profile switch re-runs the model in the worker: wait for its answer (the widget is aria-busy until then). */
async function rerun(page: Page, profile: string) {
  await page.locator(`tcp-lab-sim[data-profile="${profile}"]:not([aria-busy])`).first().waitFor();
}

/** The ladder's packets with their times (seconds) and labels. */
async function packets(page: Page) {
  // the ladder holds the whole run; the packets after the moment (past data-shown) are clipped away
  const ladder = page.locator('tcp-lab-sim [data-testid="ladder"]');
  const shown = Number(await ladder.getAttribute('data-shown'));
  return (
    await ladder.locator('g.pkt').evaluateAll((gs) =>
      gs.map((g) => ({ t: Number(g.querySelector('text.t')?.textContent?.split(/\s+/).pop()), label: g.querySelectorAll('text')[1]?.textContent ?? '' })),
    )
  ).slice(0, shown);
}

for (const mode of modes) {
  describe(`widgets over ${mode.name}`, () => {
    for (const lang of ['en', 'zh-cn'] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        test(`${lang}, ${scheme}: scrub to the end → LISTEN 2 1, one CLOSE-WAIT, two queue slots`, async () => {
          const w = await watchedPage(site.browser);
          await w.page.emulateMedia({ colorScheme: scheme });
          await w.page.goto(mode.url(`${lang}/collision`));
          const s = await sim(w.page);
          const slider = s.locator('[data-testid="timeline"]');
          await slider.focus();
          await w.page.keyboard.press('End');
          const ss = await s.locator('[data-testid="ss"]').textContent();
          expect(ss).toMatch(/^LISTEN {5}2 {6}1 /m);
          expect(ss!.match(/^CLOSE-WAIT /gm)).toHaveLength(1);
          expect(await s.locator('[data-testid="queue"] > :not(.off) [data-slot]').count()).toBe(2);
          expect(await s.locator('[data-testid="queue"] > :not(.off) [data-state="reset"]').count()).toBe(1);
          expect(await slider.getAttribute('aria-valuetext')).toBeTruthy();
          // the model ran in the widgets' worker (from file:// too, from the embedded script), not on the page
          expect(await s.getAttribute('data-mode')).toBe('worker');
          await w.page.keyboard.press('Home');
          expect(await s.locator('[data-testid="ss"]').textContent()).not.toMatch(/CLOSE-WAIT/);
          await w.page.keyboard.press('ArrowRight');
          expect(Number(await slider.inputValue())).toBe(1);
          expect(w.errors).toEqual([]);
          await w.page.context().close();
        });
      }
    }

    test('switching to linux-6.x re-sends the SYN ~10 ms after the RST instead of ~1 s', async () => {
      const w = await watchedPage(site.browser);
      await w.page.goto(mode.url('en/collision'));
      const s = await sim(w.page);
      await s.locator('[data-testid="timeline"]').focus();
      await w.page.keyboard.press('End');
      const gap = async () => {
        const p = await packets(w.page);
        const rst = p.findIndex((x) => /^RST/.test(x.label));
        return p[rst + 1].t - p[rst].t;
      };
      expect(await gap()).toBeGreaterThan(0.99);
      await s.locator('[data-testid="profile"]').selectOption('linux-6.x');
      await rerun(w.page, 'linux-6.x');
      await w.page.keyboard.press('End');
      const g = await gap();
      expect(g).toBeGreaterThan(0.007);
      expect(g).toBeLessThan(0.013);
      expect(await s.locator('[data-testid="ss"]').textContent()).toMatch(/0\.0\.0\.0:12345/);
      expect(w.errors).toEqual([]);
      await w.page.context().close();
    });
  });
}

describe('pcap download', () => {
  test('the pcap of what is on screen is a capture tshark reads', async () => {
    const w = await watchedPage(site.browser);
    await w.page.goto(`${site.httpBase}en/collision/`);
    const s = await sim(w.page);
    await s.locator('[data-testid="timeline"]').focus();
    await w.page.keyboard.press('End');
    const [dl] = await Promise.all([w.page.waitForEvent('download'), s.locator('[data-testid="pcap"]').click()]);
    const dir = mkdtempSync(join(tmpdir(), 'tcp-lab-dl-'));
    try {
      const file = join(dir, 'x.pcap');
      await dl.saveAs(file);
      const tshark = findTool('tshark');
      if (!tshark) {
        if (process.env.CI) throw new Error('tshark is not installed (CI)');
        return;
      }
      const out = execFileSync(tshark, ['-r', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
      expect(out.trim().split('\n')).toHaveLength(13);
      expect(out).toContain('[TCP Port numbers reused]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(w.errors).toEqual([]);
    await w.page.context().close();
  });
});

describe('permalinks', () => {
  test('#t=<seconds> opens the widget at that moment without scrolling to it, and the link points back', async () => {
    const w = await watchedPage(site.browser);
    await w.page.goto(`${site.httpBase}en/collision/`);
    const s = await sim(w.page);
    const slider = s.locator('[data-testid="timeline"]');
    await slider.focus();
    for (let i = 0; i < 12; i++) await w.page.keyboard.press('ArrowRight');
    const href = await s.locator('[data-testid="permalink"]').getAttribute('href');
    const t = await s.getAttribute('data-t');
    expect(href).toBe(`#t=${t}`);
    const ss = await s.locator('[data-testid="ss"]').textContent();
    await w.page.goto(`${site.httpBase}en/collision/${href}`);
    await w.page.reload();
    const again = w.page.locator('tcp-lab-sim').first();
    await again.locator('[data-testid="timeline"]').waitFor({ state: 'attached' });
    expect(await again.getAttribute('data-t')).toBe(t);
    expect(await again.locator('[data-testid="ss"]').textContent()).toBe(ss);
    expect(w.errors).toEqual([]);
    await w.page.context().close();
  });
});

describe('the overflow chapter widget', () => {
  test('4.4 keeps a SYN-RECV request re-sending its SYN-ACK; 6.x leaves both late clients in SYN-SENT (tcp_conn_request, 5ea8ea2cb7f1)', async () => {
    const w = await watchedPage(site.browser);
    await w.page.goto(`${site.httpBase}en/accept-queue-overflow/`);
    const s = await sim(w.page);
    const slider = s.locator('[data-testid="timeline"]');
    await slider.focus();
    await w.page.keyboard.press('End');
    const ss44 = (await s.locator('[data-testid="ss"]').textContent())!;
    expect(ss44).toMatch(/^LISTEN +2 +1 /m);
    expect(ss44).toMatch(/^SYN-RECV .*:40004 .*timer:\(on,/m);
    expect(ss44).not.toMatch(/^SYN-SENT/m);
    await s.locator('[data-testid="profile"]').selectOption('linux-6.x');
    await rerun(w.page, 'linux-6.x');
    await slider.focus();
    await w.page.keyboard.press('End');
    const ss6 = (await s.locator('[data-testid="ss"]').textContent())!;
    expect(ss6.match(/^SYN-SENT /gm)).toHaveLength(2);
    expect(ss6).not.toMatch(/^SYN-RECV/m);
    expect(w.errors).toEqual([]);
    await w.page.context().close();
  });
});
