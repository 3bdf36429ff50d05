import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { i18nLoader } from '@astrojs/starlight/loaders';
import { docsSchema, i18nSchema } from '@astrojs/starlight/schema';

// Chapters live in the top-level content/docs/{en,zh-cn} (the user's layout), not in
// src/content/docs: the loader is Starlight's docsLoader with its base moved there. (A symlink
// would do the same, but symlinks do not survive every checkout.)
export const collections = {
  docs: defineCollection({
    loader: glob({ base: './content/docs', pattern: '**/[^_]*.{markdown,mdown,mkdn,mkd,mdwn,md,mdx}' }),
    schema: docsSchema(),
  }),
  // UI string overrides for Starlight (src/content/i18n/<lang>.json); empty for now.
  i18n: defineCollection({ loader: i18nLoader(), schema: i18nSchema() }),
};
