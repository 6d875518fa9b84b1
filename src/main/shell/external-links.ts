/**
 * Which addresses the desktop app may hand to the system browser: https links that the app
 * itself shows (the model zoo's addresses), never anything a page could make up. No
 * electron import, so the rule is tested without Electron.
 */
import { loadZoo } from '../core/ml/zoo';

/** The https addresses the app shows to people (model sources of the zoo manifest). */
export function linksShownByTheApp(resourcesDir: string): Set<string> {
  try {
    return new Set(
      loadZoo(resourcesDir)
        .map((m) => m.url)
        .filter((u) => u.startsWith('https://')),
    );
  } catch {
    return new Set();
  }
}

/** The link to open, or null: https only, no credentials, and one the app shows. */
export function externalLink(raw: string, shown: ReadonlySet<string>): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') return null;
  return shown.has(url.href) || shown.has(raw) ? url : null;
}
