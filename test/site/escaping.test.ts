// Hostile text (issue 13, "Escaping"): experiments arrive as pull requests, so every string the
// site renders from them (commands, output, titles, recorded text, provenance, recording.json,
// the experiment's IR) is fed here with every sequence that means something to String.replace,
// HTML, SVG/XML, JSON-in-<script> or JavaScript, through the real components (Astro's container
// API over a Vite server with the site's own Astro config, so Starlight's <Code> and Expressive
// Code with our plugins render as in the build). Each render must be inert (the same elements and
// attributes as the render of harmless text: nothing the text could add) and must round-trip
// (parsing the HTML as a browser does gives the exact text back, control characters as the
// Control Pictures visibleControls() shows them as; the copy button's data-code decodes to the
// exact commands).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { createServer, type ViteDevServer } from 'vite';
import { getViteConfig } from 'astro/config';
import { experimental_AstroContainer as AstroContainer } from 'astro/container';
import { parse, parseFragment, type DefaultTreeAdapterMap } from 'parse5';
import { parse as parseYaml } from 'yaml';
import { commandsOf, visibleControls } from '../../src/site/transcripts.ts';
import { copyCode } from '../../src/site/ec-plugins.ts';
import { jsonForScript } from '../../src/site/sim-data.ts';
import { decodeEntities, extractPageText } from '../../src/site/html.ts';
import { searchIndexScript } from '../../src/site/postbuild-steps.ts';
import { renderLadder } from '../../src/render/svg-ladder.ts';
import { renderQueue } from '../../src/render/svg-queue.ts';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { checkRecording } from '../../scripts/lib/conformance.ts';
import { loadExperiment } from '../../scripts/lib/experiments.ts';

type Node = DefaultTreeAdapterMap['node'];
type El = DefaultTreeAdapterMap['element'];

const REPO = resolve(import.meta.dirname, '../..');

/** Every sequence that is special somewhere on the way to the page. */
export const SPECIALS = [
  '$&', '$`', "$'", '$1', '$<x>', '$$', // String.replace replacement patterns
  '</script>', '<!--', '-->', '<script>', '</style>', '<img src=x onerror=alert(1)>', // HTML
  '"', "'", '`', '<', '>', '&', '&amp;', '&lt;', '&#0;', // quotes and references
  ']]>', '<![CDATA[', // XML/SVG
  '\u2028', '\u2029', '\\u003c', '${x}', '{x}', // JavaScript and templates
  '\u0000', '\u0007', '\u007f', '\u001b[31m', '\r', // control characters: NUL, BEL, DEL, ESC, CR
  'onfocus=alert(document.domain) autofocus', // the copy-button exploit
];
const P = `x ${SPECIALS.join(' ')} end`;
/** Harmless text of the same shape (for the structure the hostile render must keep). */
const SAFE = 'x harmless text end';

// ---------------------------------------------------------------------------------------------
// parsing as a browser does (parse5 is the WHATWG parser)

const isEl = (n: Node): n is El => 'tagName' in n;
function* walk(n: Node): Generator<Node> {
  yield n;
  const kids = 'content' in n && n.content ? n.content.childNodes : 'childNodes' in n ? n.childNodes : [];
  for (const c of kids) yield* walk(c);
}
const elements = (root: Node): El[] => [...walk(root)].filter(isEl);
const textOf = (n: Node): string => [...walk(n)].map((x) => (x.nodeName === '#text' ? (x as DefaultTreeAdapterMap['textNode']).value : '')).join('');
const attr = (e: El, name: string) => e.attrs.find((a) => a.name === name)?.value;
const hasClass = (e: El, c: string) => (attr(e, 'class') ?? '').split(/\s+/).includes(c);
const byClass = (root: Node, c: string) => elements(root).filter((e) => hasClass(e, c));

/**
 * What text cannot change in a safe render: every element's name and attribute names, in order,
 * and the comments. (Attribute values and text are the text's to change.)
 */
function skeleton(root: Node): string[] {
  return [...walk(root)].flatMap((n) =>
    isEl(n) ? [`<${n.tagName} ${n.attrs.map((a) => a.name).join(' ')}>`] : n.nodeName === '#comment' ? ['<!---->'] : [],
  );
}

/** No element can run script: no on* attribute, no script but the expected ones, no javascript: URL. */
function expectInert(root: Node, scripts: { json?: number; module?: number } = {}) {
  for (const e of elements(root)) {
    for (const a of e.attrs) {
      expect(a.name.startsWith('on'), `<${e.tagName} ${a.name}>`).toBe(false);
      expect(a.name).not.toBe('autofocus');
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name)) expect(a.value.trim().toLowerCase()).not.toMatch(/^(javascript|data|vbscript):/);
    }
  }
  const ss = elements(root).filter((e) => e.tagName === 'script');
  expect(ss.filter((s) => attr(s, 'type') === 'application/json')).toHaveLength(scripts.json ?? 0);
  expect(ss.filter((s) => attr(s, 'type') === 'module' && attr(s, 'src') && textOf(s) === '')).toHaveLength(scripts.module ?? 0);
  expect(ss).toHaveLength((scripts.json ?? 0) + (scripts.module ?? 0));
}

// ---------------------------------------------------------------------------------------------
// fixtures: experiments holding P (hostile) and SAFE (harmless), in a temporary root

let root = '';
let cwd = '';
let server: ViteDevServer;
let container: AstroContainer;
const components: Record<string, unknown> = {};

/** A generated block: commands after three prompt styles, output lines, a line that is only P. */
const blockText = (s: string) =>
  [`[#1#root@lab ~]$echo ${s}`, s, `user@lab:~$ nc -l ${s}`, `$ ${s.replace(/^x/, 'printf')}`, '[1]+  Stopped  nc', `[#2#root@lab ~]$`].join('\n');
/** A block folded like its recording (the inline whole output): 12 output lines elided by `...`. */
const foldedText = (s: string) => [`[#1#root@lab ~]$watch ${s}`, ...Array.from({ length: 12 }, (_, i) => `${s} ${i}`), '[#2#root@lab ~]$'].join('\n');
const foldedRecorded = (s: string) => [`[#1#root@lab ~]$watch ${s}`, `${s} 0`, '...', `${s} 11`, '[#2#root@lab ~]$'].join('\n');

/** A YAML double-quoted scalar (JSON's, with the characters YAML does not print escaped). */
const yamlQuote = (s: string) => JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function makeExperiment(id: string, s: string) {
  const dir = join(root, 'content/experiments', id);
  cpSync(join(REPO, 'content/experiments/closed-port'), dir, { recursive: true });
  // the experiment's own text (its IR is the widget's JSON); replacer functions, as `$&` in s is a pattern
  const md = readFileSync(join(dir, 'experiment.md'), 'utf8')
    .replace('id: closed-port', () => `id: ${id}`)
    .replace('  en: Connecting to a closed port', () => `  en: ${yamlQuote(s)}`)
    .replace(/  en: No socket matches.*/, () => `  en: ${yamlQuote(s)}`)
    .replace(/source: npm run record.*/, () => `source: ${yamlQuote(s)}`);
  writeFileSync(join(dir, 'experiment.md'), md);
  // a recording whose metadata and text hold s (<Conformance>)
  const recDir = join(dir, 'recorded/linux-6.18');
  const rec = JSON.parse(readFileSync(join(recDir, 'recording.json'), 'utf8'));
  rec.kernel = `6.18.44-${s}`;
  rec.tools = { ...rec.tools, netcat: s, ss: `ss utility, ${s}`, tcpdump: `tcpdump version ${s}` };
  // what nc printed, as recorded (a check that fails, showing the recorded text)
  const nc = (rec.terminals.client as { text: string }[]).find((c) => c.text.startsWith('nc: '))!;
  nc.text = `nc: ${s}\n[#2#root@lab ~]$`;
  writeFileSync(join(recDir, 'recording.json'), JSON.stringify(rec));
  // generated blocks and their status (<Transcript>)
  const gen = join(dir, 'generated/linux-4.4');
  mkdirSync(join(dir, 'recorded/x'), { recursive: true });
  writeFileSync(join(gen, 'hostile.txt'), blockText(s) + '\n');
  writeFileSync(join(gen, 'folded.txt'), foldedText(s) + '\n');
  // a recorded text starting with an empty line (a <pre> drops the first newline)
  writeFileSync(join(dir, 'recorded/x/hostile.txt'), `\n${s}\n${s}\n`);
  writeFileSync(join(dir, 'recorded/x/folded.txt'), foldedRecorded(s) + '\n');
  const status = JSON.parse(readFileSync(join(gen, 'status.json'), 'utf8'));
  status.hostile = { status: s, recorded: 'recorded/x/hostile.txt', provenance: { [s]: s, nested: { [s]: [s] } } };
  status.folded = { status: 'match', recorded: 'recorded/x/folded.txt' };
  writeFileSync(join(gen, 'status.json'), JSON.stringify(status));
}

beforeAll(async () => {
  const config = await (getViteConfig({ root: REPO }, { root: REPO, logLevel: 'silent' }) as (env: { mode: string; command: 'serve' }) => Promise<Record<string, unknown>>)({
    mode: 'development',
    command: 'serve',
  });
  server = await createServer({ ...config, root: REPO, configFile: false, logLevel: 'silent', appType: 'custom', server: { middlewareMode: true, hmr: false, ws: false, watch: null } });
  for (const c of ['Transcript', 'SimWidget', 'Conformance', 'EditLink', 'StoryDiagram', 'Search']) {
    components[c] = (await server.ssrLoadModule(`/src/components/${c}.astro`)).default;
  }
  container = await AstroContainer.create();
  root = mkdtempSync(join(tmpdir(), 'tcp-lab-escaping-'));
  makeExperiment('hostile', P);
  makeExperiment('harmless', SAFE);
  // the components read content/experiments/ from the working directory, as the build does
  cwd = process.cwd();
  process.chdir(root);
}, 120_000);

afterAll(async () => {
  if (cwd) process.chdir(cwd);
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const locals = (extra: Record<string, unknown> = {}) => ({ starlightRoute: { lang: 'en', locale: 'en', ...extra }, t: (k: string) => k });
async function render(name: string, props: Record<string, unknown>, extraLocals: Record<string, unknown> = {}) {
  const html = await container.renderToString(components[name] as never, { props, locals: locals(extraLocals) as never });
  return { html, doc: parseFragment(html) as unknown as Node };
}

// ---------------------------------------------------------------------------------------------

describe('the sequences, one by one, through the functions the components call', () => {
  test('visibleControls: text without control characters is unchanged; controls become Control Pictures', () => {
    for (const s of SPECIALS) if (!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s)) expect(visibleControls(s)).toBe(s);
    expect(visibleControls('a\u0000b\u001b[31mc\u007fd\re\tf')).toBe('a\u2400b\u241b[31mc\u2421d\u240de\tf');
  });
  test('copyCode: one U+007F between commands and none inside one', () => {
    for (const s of SPECIALS) {
      const code = copyCode([`echo ${s}`, s]);
      expect(code.split('\u007f')).toEqual([visibleControls(`echo ${s}`), visibleControls(s)]);
    }
  });
  test('jsonForScript: stays inside its <script type="application/json"> and parses back to the value', () => {
    for (const s of [...SPECIALS, P]) {
      const value = { s, list: [s], [s]: s };
      const html = `<script type="application/json">${jsonForScript(value)}</script><p>after</p>`;
      const doc = parseFragment(html) as unknown as Node;
      const [script, p] = elements(doc);
      expect(script.tagName).toBe('script');
      expect(JSON.parse(textOf(script))).toEqual(value);
      expect(p.tagName).toBe('p');
      expect(textOf(p)).toBe('after');
    }
  });
  test('SVG ladder and queue: their labels are text and attribute values only (as HTML and as XML)', () => {
    // (their labels are the site's strings today; the live widget renders the same SVG)
    const view = { port: 12345, backlog: 1, slots: [{ state: 1, hashed: false, peerPort: 40000 }] } as never;
    // wide enough that no label wraps (a wrapped label adds lines: a different skeleton, rightly)
    const svgs = (s: string) => ({ queue: renderQueue(view, { title: s, empty: s, reset: s, recvq: s }, { width: 1e7 }), ladder: renderLadder([], { title: s, description: s }) });
    const safe = svgs(SAFE);
    for (const s of [...SPECIALS, P]) {
      const got = svgs(s);
      // the text a browser reads back: HTML's input stream turns CR into LF, and NUL cannot be carried
      const back = s.replace(/\r/g, '\n');
      for (const k of ['queue', 'ladder'] as const) {
        const doc = parseFragment(got[k]) as unknown as Node;
        // a label wraps onto as many lines (tspans) as its length needs; the rest is the same
        const lines = (n: Node) => (skeleton(n) as string[]).filter((x) => !x.startsWith('<tspan'));
        expect(lines(doc)).toEqual(lines(parseFragment(safe[k]) as unknown as Node));
        expectInert(doc);
        // well-formed XML too: no raw `<`, `>` or `&` of the text between the tags
        expect(got[k].replace(/<\/?[a-z][^<>]*>/g, '')).not.toMatch(/[<>]|&(?!amp;|lt;|gt;|quot;)/);
        if (s.includes('\u0000')) continue;
        if (k === 'queue') {
          expect(textOf(elements(doc).find((e) => e.tagName === 'text')!)).toBe(`${back} — :12345, backlog 1, ${back} 1`);
          expect(attr(elements(doc)[0], 'aria-label')).toBe(`${back}: ${back} 1, backlog 1: ${back}`);
        } else {
          expect(textOf(elements(doc).find((e) => e.tagName === 'title')!)).toBe(back);
          expect(textOf(elements(doc).find((e) => e.tagName === 'desc')!)).toBe(back);
        }
      }
    }
  });
  test('decodeEntities decodes as a browser does, without throwing on out-of-range numbers', () => {
    expect(decodeEntities('&#0;&#x110000;&#xD800;&#99999999999999999999999;&amp;lt;')).toBe('\ufffd\ufffd\ufffd\ufffd&lt;');
  });
});

describe('<Transcript>', () => {
  test('renders the same elements and attributes for hostile text as for harmless text', async () => {
    const hostile = await render('Transcript', { experiment: 'hostile', block: 'hostile', title: P });
    const harmless = await render('Transcript', { experiment: 'harmless', block: 'hostile', title: SAFE });
    expect(skeleton(hostile.doc)).toEqual(skeleton(harmless.doc));
    expectInert(hostile.doc, { module: 1 });
  });

  test("the copy button gets its three attributes only, and copies the exact commands (the issue's $& exploit)", async () => {
    const { doc, html } = await render('Transcript', { experiment: 'hostile', block: 'hostile', title: P });
    const buttons = elements(doc).filter((e) => e.tagName === 'button');
    expect(buttons).toHaveLength(1);
    expect(buttons[0].attrs.map((a) => a.name)).toEqual(['title', 'data-copied', 'data-code']);
    const commands = (attr(buttons[0], 'data-code') ?? '').split('\u007f');
    expect(commands).toEqual([`echo ${P}`, `nc -l ${P}`, P.replace(/^x/, 'printf')].map(visibleControls));
    expect(commands).toEqual(commandsOf(blockText(P)).map(visibleControls));
    expect(html).not.toContain('onfocus=alert(document.domain) autofocus x"');
  });

  test('frame, title, recorded text, provenance and status come back as the exact text', async () => {
    const { doc } = await render('Transcript', { experiment: 'hostile', block: 'hostile', title: P });
    const v = visibleControls;
    expect(textOf(byClass(doc, 'title')[0])).toBe(v(`${P} · linux-4.4`));
    // the terminal frame: one .ec-line per line, the text as it was (prompts and commands coloured)
    const lines = byClass(doc, 'ec-line').map((l) => textOf(l));
    expect(lines.join('\n')).toBe(v(blockText(P)));
    const figure = elements(doc).find((e) => hasClass(e, 'tcp-transcript'))!;
    expect(attr(figure, 'data-status')).toBe('unchecked'); // an unknown status.json value
    const recorded = byClass(doc, 'tcp-transcript__fulltext');
    expect(recorded).toHaveLength(1);
    expect(textOf(recorded[0])).toBe(v(`\n${P}\n${P}`));
    const dl = byClass(doc, 'tcp-transcript__provenance')[0];
    const dts = elements(dl).filter((e) => e.tagName === 'dt').map(textOf);
    const dds = elements(dl).filter((e) => e.tagName === 'dd').map(textOf);
    expect(dts).toEqual([v(P), 'nested']);
    expect(dds).toEqual([v(P), v(JSON.stringify({ [P]: [P] }))]);
  });

  test('a folded block: the whole output inline is the exact text', async () => {
    const hostile = await render('Transcript', { experiment: 'hostile', block: 'folded' });
    const harmless = await render('Transcript', { experiment: 'harmless', block: 'folded' });
    expect(skeleton(hostile.doc)).toEqual(skeleton(harmless.doc));
    expectInert(hostile.doc, { module: 1 });
    const full = byClass(hostile.doc, 'tcp-transcript__full')[0];
    expect(full, 'the block is folded, its whole output inline').toBeDefined();
    expect(textOf(byClass(full, 'tcp-transcript__fulltext')[0])).toBe(visibleControls(foldedText(P)));
    expect(attr(elements(hostile.doc).find((e) => e.tagName === 'button')!, 'data-code')).toBe(visibleControls(`watch ${P}`));
  });

  test('the search index of a page with the transcript holds the text, and its script gives it back', async () => {
    const { html } = await render('Transcript', { experiment: 'hostile', block: 'folded', title: P });
    const page = `<!doctype html><html lang="en"><body><h1 id="_top">T</h1><div class="sl-markdown-content"><h2 id="s">S</h2>${html}</div></body></html>`;
    const text = extractPageText(page)!;
    const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
    expect(text.sections.at(-1)!.text).toContain(norm(visibleControls(`watch ${P}`)));
    expect(text.sections.at(-1)!.text).toContain(norm(visibleControls(`${P} 11`)));
    const docs = text.sections.map((s, i) => ({ id: i, url: `en/t/#${s.id}`, lang: 'en', page: text.title, heading: s.heading, text: s.text }));
    const script = searchIndexScript(docs);
    expect(script).not.toMatch(/<\/script|[\u2028\u2029]/i);
    const window: { __TCP_LAB_SEARCH__?: { docs: unknown[] } } = {};
    runInNewContext(script, { window });
    expect(window.__TCP_LAB_SEARCH__!.docs).toEqual(docs);
    // the page as a whole parses to the same structure as it is written
    expectInert(parse(page) as unknown as Node, { module: 1 });
  });
});

describe('<SimWidget>', () => {
  test("the experiment's IR is the JSON of its script element, exactly; nothing else changes", async () => {
    const hostile = await render('SimWidget', { experiment: 'hostile', profile: 'linux-6.x' });
    const harmless = await render('SimWidget', { experiment: 'harmless', profile: 'linux-6.x' });
    expect(skeleton(hostile.doc)).toEqual(skeleton(harmless.doc));
    expectInert(hostile.doc, { json: 1, module: 1 });
    const json = elements(hostile.doc).find((e) => e.tagName === 'script' && attr(e, 'type') === 'application/json')!;
    const file = join('content/experiments/hostile/experiment.md');
    const exp = parseExperiment(readFileSync(file, 'utf8'), file);
    expect(JSON.parse(textOf(json)).exp).toEqual(JSON.parse(JSON.stringify(exp)));
    expect((exp as unknown as { title: Record<string, string> }).title.en).toBe(P); // the text did reach the IR
    expect(parseYaml(yamlQuote(P))).toBe(P);
  });
  test('an experiment id that is a path is refused', async () => {
    await expect(render('SimWidget', { experiment: '../../../etc' })).rejects.toThrow(/invalid experiment/);
  });
});

describe('<Conformance>', () => {
  test('recording.json and recorded text are text only', async () => {
    const hostile = await render('Conformance', { experiment: 'hostile' });
    const harmless = await render('Conformance', { experiment: 'harmless' });
    expect(skeleton(hostile.doc)).toEqual(skeleton(harmless.doc));
    expectInert(hostile.doc);
    const text = textOf(hostile.doc);
    const v = visibleControls(P);
    expect(text).toContain(`Linux 6.18.44:`);
    expect(text).toContain(`netcat-openbsd ${v}, ${v}, tcpdump ${v};`);
    // each check that fails is shown with the recorded text as the check has it
    const dir = 'content/experiments/hostile';
    const bad = checkRecording(loadExperiment(join(dir, 'experiment.md')), join(dir, 'recorded/linux-6.18')).checks.filter((c) => !c.ok);
    expect(bad.map((c) => c.expected).join('\n')).toContain('nc: x $&');
    const items = elements(hostile.doc).filter((e) => e.tagName === 'li').map(textOf);
    for (const c of bad) expect(items).toContain(visibleControls(`${c.name}: ${c.expected} ≠ ${c.actual} [${c.ref}]`));
  });
  test('an experiment id that is a path is refused', async () => {
    await expect(render('Conformance', { experiment: '../../../etc' })).rejects.toThrow(/invalid experiment/);
  });
});

describe('<EditLink>', () => {
  test("an edit URL holding the sequences stays one attribute value (the replace pattern is a literal string)", async () => {
    const url = (s: string) => new URL(`https://github.com/example/tcp-lab/edit/main/src/content/docs/en/${s}.md`);
    const hostile = await render('EditLink', {}, { editUrl: url(P) });
    const harmless = await render('EditLink', {}, { editUrl: url(SAFE) });
    expect(skeleton(hostile.doc)).toEqual(skeleton(harmless.doc));
    expectInert(hostile.doc);
    const a = elements(hostile.doc).find((e) => e.tagName === 'a')!;
    expect(attr(a, 'href')).toBe(url(P).href.replace('/src/content/docs/', '/content/docs/'));
  });
});

describe('components that render no experiment text', () => {
  test('<StoryDiagram> and <Search> are inert (their text is the site\'s own)', async () => {
    for (const c of ['StoryDiagram', 'Search']) expectInert((await render(c, {})).doc, { module: c === 'Search' ? 1 : 0 });
  });
});

describe('no markup is built by string surgery on text', () => {
  test('no replace() in the rendering code takes a template with an interpolation as its replacement; set:html only on escaped values', () => {
    const files = [
      ...['Conformance', 'EditLink', 'LanguageSelect', 'Search', 'SimWidget', 'StepFigure', 'StoryDiagram', 'Transcript'].map((c) => `src/components/${c}.astro`),
      ...['html', 'sim-data', 'ec-plugins', 'chapter-sections', 'transcripts', 'postbuild-steps'].map((f) => `src/site/${f}.ts`),
      'src/render/svg-ladder.ts',
      'src/render/svg-queue.ts',
    ];
    for (const f of files) {
      const src = readFileSync(join(REPO, f), 'utf8');
      expect(src, f).not.toMatch(/\.replace(All)?\([^;]*?,\s*`[^`]*\$\{/);
      const setHtml = [...src.matchAll(/set:html=\{([^}]*)\}/g)].map((m) => m[1]);
      // the renderers' SVG (every text escaped), the IR's JSON (jsonForScript) and the pictures' constant rules
      expect(setHtml.every((v) => ['data.json', 'data.queue', 'data.ladder', 'data.queueNarrow', 'data.ladderNarrow', 'fr.ladder', 'fr.queue', 'FIGURE_CSS'].includes(v)), `${f}: set:html={${setHtml}}`).toBe(true);
      expect(src, f).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
  });
});
