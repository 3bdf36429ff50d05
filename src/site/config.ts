// Site-wide constants for the tcp-lab documentation site. Imported by astro.config.mjs,
// the post-build integration, scripts/offline.ts and the tests: change them here only.

/**
 * The public repository, from the build's configuration: `TCP_LAB_REPO` (e.g.
 * https://github.com/owner/tcp-lab) and `TCP_LAB_REPO_BRANCH` (default main). With none set the
 * site has no source link in its header, no "Edit page" links, and names repository files as
 * paths instead of linking them (src/components/RepoLink.astro): a link to a repository that is
 * not there is worse than none. See docs/DEPLOY.md.
 */
export function repoConfig(env: Record<string, string | undefined> = process.env): { url: string; branch: string } | null {
  const url = env.TCP_LAB_REPO?.trim().replace(/\/+$/, '');
  if (!url) return null;
  if (!/^https:\/\/[^\s"'<>]+$/.test(url)) throw new Error(`TCP_LAB_REPO must be an https:// URL, not ${JSON.stringify(url)}`);
  return { url, branch: env.TCP_LAB_REPO_BRANCH?.trim() || 'main' };
}
/** The URL of a file of the repository (a path from its root), or null if no repository is configured. */
export function repoFileUrl(path: string, repo = repoConfig()): string | null {
  return repo ? `${repo.url}/blob/${repo.branch}/${path.replace(/^\/+/, '')}` : null;
}

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
