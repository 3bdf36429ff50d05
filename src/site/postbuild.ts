import type { AstroIntegration } from 'astro';
import { fileURLToPath } from 'node:url';

/** Post-build steps over dist/: search index, CSP script hashes, _headers. */
export function tcpLabPostBuild(): AstroIntegration {
  let base = '/';
  return {
    name: 'tcp-lab-postbuild',
    hooks: {
      'astro:config:done': ({ config }) => {
        base = config.base;
      },
      'astro:build:done': async ({ dir, logger }) => {
        const { postBuild } = await import('./postbuild-steps.ts');
        await postBuild(fileURLToPath(dir), base, logger);
      },
    },
  };
}
