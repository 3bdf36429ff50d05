// A Vite plugin (astro.config.mjs) that makes Starlight's "On this page" lists use
// src/site/starlight-toc.ts instead of Starlight's components-internals/TableOfContents/
// starlight-toc module (see that file for why). Both of Starlight's components import that
// module (one as its <script src>, the mobile one to subclass it), so redirecting the import is
// enough; their markup and styles are untouched.
//
// If a Starlight upgrade moves or renames the module, nothing would be redirected and the slow
// original would come back silently: the client build fails instead.
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const STARLIGHT_TOC = /[\\/]@astrojs[\\/]starlight[\\/]dist[\\/]components-internals[\\/]TableOfContents[\\/]starlight-toc\.[cm]?[jt]s$/;
const REPLACEMENT = fileURLToPath(new URL('./starlight-toc.ts', import.meta.url));

export function starlightTocPlugin(): Plugin {
  let redirected = 0;
  return {
    name: 'tcp-lab-starlight-toc',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!source.includes('starlight-toc') || !importer || importer === REPLACEMENT) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!resolved || !STARLIGHT_TOC.test(resolved.id.split('?')[0])) return null;
      redirected++;
      return REPLACEMENT;
    },
    buildEnd(error) {
      // Only the browser bundle imports the module; the server build never does.
      const env = (this as { environment?: { name?: string } }).environment?.name;
      if (error || env !== 'client' || redirected > 0) return;
      this.error(
        "tcp-lab-starlight-toc: Starlight's components-internals/TableOfContents/starlight-toc module was not imported; " +
          'it has probably moved in this Starlight version. Update the pattern in src/site/toc-plugin.ts.',
      );
    },
  };
}
