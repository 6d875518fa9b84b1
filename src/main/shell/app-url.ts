/** The renderer is served from app://ocellus/ rather than file://, so 'self' means only it. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'ocellus';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * True for addresses of the app itself (and of the dev server in development). Compared by
 * scheme and host: for a non-special scheme such as app:, URL.origin is the string "null".
 */
export function isAppUrl(url: string, devServerUrl?: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST) return true;
    return (
      devServerUrl !== undefined && u.origin !== 'null' && u.origin === new URL(devServerUrl).origin
    );
  } catch {
    return false;
  }
}
