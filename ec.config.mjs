// @ts-check
// Expressive Code options that are functions (so cannot sit in astro.config.mjs, whose options
// the <Code> component needs as JSON). Merged with the `expressiveCode` options there.
import { defineEcConfig } from '@astrojs/starlight/expressive-code';
import { plainTokens, inlineCopyIcon, copyCommands, TERMINAL_DOTS } from './src/site/ec-plugins.ts';

/**
 * The language of a block's UI strings ("Copy to clipboard"), from its page. Starlight derives it
 * from the file's path under src/content/docs/, but the chapters live in content/docs/
 * (src/content.config.ts), so every Markdown code block of a zh-CN chapter had English strings.
 * @param {{ file: { path: string, url?: URL } }} ctx
 */
function blockLocale({ file }) {
  const path = file.url && file.url.protocol !== 'file:' ? file.url.pathname : file.path.replaceAll('\\', '/');
  return /\/zh-cn\//.test(path) ? 'zh-CN' : 'en';
}

export default defineEcConfig({
  // Transcript prompts are ANSI green (toAnsi in src/site/transcripts.ts). The light theme's
  // ansiGreen (#08916a) is 3.7:1 on the terminal frame (#f6f7f9), below WCAG AA's 4.5:1
  // (Lighthouse color-contrast); #057052 is 5.7:1, above Expressive Code's own minimum of 5.5.
  customizeTheme: (theme) => {
    if (theme.type === 'light') theme.colors['terminal.ansiGreen'] = '#057052';
    return theme;
  },
  // Cheaper to render, same look (src/site/ec-plugins.ts): plain tokens without a span each, the
  // copy icon as inline SVG and the terminal dots as gradients instead of SVG data: URL images;
  // a transcript's copy button copies its commands only (the `copyCommands` prop).
  plugins: [plainTokens(), inlineCopyIcon(), copyCommands()],
  styleOverrides: { frames: { terminalIcon: TERMINAL_DOTS } },
  // No `all: revert` on every element of a block: reverting all ~400 properties per element was
  // ~3 ms of the first screen's style work on the collision chapter (a transcript in view). The
  // site's own styles leave code blocks alone (Starlight's content styles skip .not-content, which
  // Expressive Code's frames carry): every chapter renders pixel for pixel as with the reset, at
  // 412 and 1350 px, light and dark, and so do the copy button's hover and "Copied!" states.
  useStyleReset: false,
  getBlockLocale: blockLocale,
  // Lines wrap at the reader's width instead of hiding what does not fit to the right (an ss
  // line's users: and timer: fields, Wireshark's Expert Info): a continuation is indented (site.css
  // --tcp-hang) and so is every line that starts indented (preserveIndent, Wireshark's tree).
  defaultProps: { wrap: true, preserveIndent: true },
});
