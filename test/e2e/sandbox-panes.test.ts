// The sandbox as a lab drives the timeline's panes (issue 18): the collision chapter's sandbox
// shows the host's ss table, accept queue and ladder in the same pane component as the
// timeline above it (src/widgets/panes.ts), fed live by what is typed. Typing `nc -l 12345` and
// then `nc localhost 12345` changes those panes as the timeline's moments change its own: the
// listener's row in the timeline's ss format, a queue picture of the timeline's kind, the
// handshake's rows on the ladder. en and zh-CN, light and dark, desktop and phone, http and file://.
import { expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { eachCombination } from './reader-matrix.ts';

/** Scroll a widget into view until it says it is ready (it starts near the viewport). */
async function start(page: Page, sel: string): Promise<Locator> {
  const w = page.locator(sel).first();
  for (let i = 0; i < 40 && !(await w.getAttribute('data-ready')); i++) {
    await w.scrollIntoViewIfNeeded();
    await page.waitForTimeout(250);
  }
  expect(await w.getAttribute('data-ready')).toBe('true');
  return w;
}

async function until(l: Locator, re: RegExp, timeout = 20_000): Promise<string> {
  await l.page().waitForFunction(([el, src, flags]) => new RegExp(src as string, flags as string).test((el as HTMLElement).textContent ?? ''), [await l.elementHandle(), re.source, re.flags] as const, { timeout });
  return (await l.textContent())!;
}

async function type(term: Locator, i: number, line: string): Promise<void> {
  const p = term.locator('[data-testid="pane"]').nth(i);
  await p.evaluate((el) => (el as HTMLElement).hidden && document.getElementById(`${el.id}-tab`)!.click());
  await p.page().waitForFunction((el) => (el as HTMLElement).dataset.prompt === 'true', await p.elementHandle(), { timeout: 20_000 });
  const input = p.locator('[data-testid="command"]');
  await input.fill(line);
  await input.press('Enter');
}

/** The panes' shape: each child's tag and class, its figure's caption, and the text sizes they are drawn in. */
const shape = (panes: Locator) =>
  panes.evaluate((root) =>
    [...root.children].map((c) => ({
      tag: c.tagName,
      cls: c.className.split(' ')[0],
      caption: c.querySelector('figcaption')?.textContent ?? null,
      font: c.querySelector('pre') ? getComputedStyle(c.querySelector('pre')!).fontSize : null,
    })),
  );

/**
 * A listing's header and the 12345 listener's row, cut into fields: state, Send-Q (the backlog),
 * local and peer address (its Recv-Q depends on the moment, the users field on pids and fds).
 */
const fields = (ss: string) => {
  const lines = ss.split('\n');
  const row = lines.find((l) => /^LISTEN\s.*:12345\s/.test(l))?.split(/\s+/);
  return { header: lines[0].split(/\s+/), listen: row && [row[0], row[2], row[3], row[4]] };
};

eachCombination((c) => {
  test('typing in the sandbox changes the timeline\'s own panes, live: ss row, queue picture, ladder rows', async () => {
    const w = await c.open(c.chapter('collision'));
    const sim = await start(w.page, 'tcp-lab-sim');
    const term = await start(w.page, 'tcp-lab-terminal');
    const timeline = sim.locator('.tcp-sim__panes');
    const live = term.locator('[data-testid="live"] .tcp-sim__panes');
    // one component: the same panes, captions and text sizes in both widgets
    expect(await live.count()).toBe(1);
    expect(await shape(live)).toEqual(await shape(timeline));
    expect((await shape(live)).map((p) => p.cls)).toEqual(['tcp-sim__ss', 'tcp-sim__queue', 'tcp-sim__ladder']);

    // the timeline's listener row, at a moment that has one
    const tl = fields((await sim.locator('[data-testid="ss"]').textContent())!);
    expect(tl.listen, 'the timeline opens on a moment with the listener').toBeDefined();

    // type: the same pane now shows the sandbox host's listener, in the timeline's format
    expect(await term.locator('[data-testid="live-ladder"] g.pkt').count()).toBe(0);
    await type(term, 0, 'nc -l 12345');
    const ss1 = fields(await until(term.locator('[data-testid="live-ss"]'), /^LISTEN .*:12345 /m));
    expect(ss1.header).toEqual(tl.header);
    expect(ss1.listen).toEqual(tl.listen);
    // the queue pane holds the timeline's kind of picture (empty queue), the ladder no packet yet
    const pic = (l: Locator) => l.evaluate((e) => (e.tagName === 'svg' ? e : e.querySelector('svg'))?.getAttribute('class'));
    expect(await pic(term.locator('[data-testid="live-queue"]'))).toBe(await pic(sim.locator('[data-testid="queue"] > :not(.off)')));
    expect(await pic(term.locator('[data-testid="live-queue"]'))).toBe('tcp-queue');

    // a client in a second terminal: the handshake's rows appear on the ladder, as the timeline draws them
    await term.locator('[data-testid="new-terminal"]').click();
    await type(term, 1, 'nc localhost 12345');
    await until(term.locator('[data-testid="live-ss"]'), /^ESTAB .*127\.0\.0\.1:12345 /m);
    await w.page.waitForFunction((el) => (el as HTMLElement).querySelectorAll('g.pkt').length >= 3, await term.locator('[data-testid="live-ladder"]').elementHandle(), { timeout: 20_000 });
    const rows = (l: Locator) => l.evaluate((e) => [...e.querySelectorAll('g.pkt')].slice(0, 3).map((g) => (g.textContent ?? '').match(/\[[A-Z.]+\]|SYN|ACK/g)?.[0] ?? ''));
    const liveRows = await rows(term.locator('[data-testid="live-ladder"]'));
    expect(liveRows).toEqual(await rows(sim.locator('[data-testid="ladder"]')));
    expect(liveRows.every((r) => r !== '')).toBe(true);
    c.done(w);
  });
});
