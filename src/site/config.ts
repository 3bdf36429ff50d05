// Site-wide constants for the tcp-lab documentation site. Imported by astro.config.mjs,
// the post-build integration, scripts/offline.ts and the tests: change them here only.

/** Placeholder repository URL (edit links, social link). Replace once the repo is public. */
export const REPO_URL = 'https://github.com/example/tcp-lab';
/** Branch that "Edit page" links point at. */
export const REPO_BRANCH = 'main';

/** Site title per locale. */
export const SITE_TITLE = { en: 'tcp-lab', 'zh-CN': 'tcp-lab' } as const;

/** Locales: directory under content/docs → Starlight locale config. */
export const LOCALES = {
  en: { label: 'English', lang: 'en' },
  'zh-cn': { label: '简体中文', lang: 'zh-CN' },
} as const;
export const DEFAULT_LOCALE = 'en';

/** Where the transcript pipeline writes its output (overridable for tests). */
export function experimentsDir(root: string = process.cwd()): string {
  const override = process.env.TCP_LAB_EXPERIMENTS_DIR;
  if (override) return override.startsWith('/') ? override : `${root}/${override}`;
  return `${root}/content/experiments`;
}

/**
 * Content-Security-Policy of the online build. No third-party origin is allowed anywhere.
 * `script-src` is tightened after the build: the post-build step replaces `'unsafe-inline'`
 * with the sha256 hashes of every inline script of the page (see src/site/postbuild.ts).
 * `style-src` keeps `'unsafe-inline'` because Expressive Code colours tokens with inline
 * `style` attributes (CSS variables).
 */
export const CSP_DIRECTIVES: ReadonlyArray<readonly [string, string]> = [
  ['default-src', "'self'"],
  ['script-src', "'self' 'unsafe-inline'"],
  ['style-src', "'self' 'unsafe-inline'"],
  ['img-src', "'self' data:"],
  ['font-src', "'self' data:"],
  ['connect-src', "'self'"],
  ['media-src', "'self'"],
  ['worker-src', "'self'"],
  ['manifest-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'self'"],
  ['form-action', "'self'"],
];
export function cspString(directives = CSP_DIRECTIVES): string {
  return directives.map(([k, v]) => `${k} ${v}`).join('; ');
}
