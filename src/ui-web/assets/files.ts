/**
 * The page's scripts and stylesheet are plain files beside this module (app.js, common.js, clusters.js, policy.js, bastions.js, activity.js, forwards.js, app.css, forms.css), so they
 * can be linted and read as what they are. The build copies them to dist/ui-web/assets/; in the
 * one-file bundle (dist/kubezilla-mcp.js) this module's URL is the bundle's, so the files are
 * looked for under ui-web/assets/ beside it too. Read once, on first request.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Every file the page loads; nothing else under /assets is served. */
export const PAGE_ASSETS = ['app.js', 'common.js', 'clusters.js', 'policy.js', 'bastions.js', 'activity.js', 'forwards.js', 'app.css', 'forms.css'] as const;
export type PageAssetName = (typeof PAGE_ASSETS)[number];

const cache = new Map<PageAssetName, string>();

export function pageAsset(name: PageAssetName): string {
  let text = cache.get(name);
  if (text === undefined) {
    const candidates = [new URL(`./${name}`, import.meta.url), new URL(`./ui-web/assets/${name}`, import.meta.url)].map((u) => fileURLToPath(u));
    const file = candidates.find((f) => existsSync(f));
    if (!file) throw new Error(`the settings page's ${name} is missing (looked in ${candidates.join(', ')}): rebuild with npm run build`);
    text = readFileSync(file, 'utf8');
    cache.set(name, text);
  }
  return text;
}
