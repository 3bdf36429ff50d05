// @ts-check
// Expressive Code options that are functions (so cannot sit in astro.config.mjs, whose options
// the <Code> component needs as JSON). Merged with the `expressiveCode` options there.
import { defineEcConfig } from '@astrojs/starlight/expressive-code';
import { plainTokens, inlineCopyIcon, copyCommands, TERMINAL_DOTS } from './src/site/ec-plugins.ts';

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
});
