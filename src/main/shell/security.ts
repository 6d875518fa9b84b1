import { BrowserWindow, app, dialog, session, shell, type WebContents } from 'electron';
import { externalLink } from './external-links';

/**
 * App-wide hardening: no new windows, no navigation away from the app, no webviews,
 * no permission grants. An https link the app itself shows (see external-links.ts) opens
 * in the user's browser after they confirm it; anything else is refused.
 */
export function hardenApp(
  isAppUrl: (url: string) => boolean,
  shownLinks: () => ReadonlySet<string>,
): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(({ url }) => {
      void confirmAndOpen(contents, url, shownLinks());
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (isAppUrl(url)) return;
      event.preventDefault();
      void confirmAndOpen(contents, url, shownLinks());
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) =>
      callback(false),
    );
    session.defaultSession.setPermissionCheckHandler(() => false);
  });
}

/** Asks before handing a shown https link to the system browser. */
async function confirmAndOpen(
  contents: WebContents,
  raw: string,
  shown: ReadonlySet<string>,
): Promise<void> {
  const link = externalLink(raw, shown);
  if (!link) {
    console.error(`[ocellus] refused to open ${raw.slice(0, 200)} outside the app`);
    return;
  }
  const options = {
    type: 'question' as const,
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    noLink: true,
    message: 'Open this address in your web browser?',
    detail: link.href,
  };
  const win = BrowserWindow.fromWebContents(contents);
  const { response } = win
    ? await dialog.showMessageBox(win, options)
    : await dialog.showMessageBox(options);
  if (response === 0) await shell.openExternal(link.href);
}
