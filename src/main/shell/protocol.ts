import { net, protocol } from 'electron';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { MEDIA_PATH } from '../../shared/api';
import type { MediaKind } from '../../shared/types';
import { contentSecurityPolicy } from '../csp';
import type { OcellusService } from '../core/service';
import { MAX_IMAGE_BYTES } from '../core/library/probe';
import { resolveInside } from '../core/util/fs-safety';
import { openSafe } from '../core/util/safe-fs';

import { APP_HOST, APP_SCHEME } from './app-url';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves the built renderer and image media, and nothing outside them, with the app's CSP. */
export function handleAppScheme(rendererDir: string, service: OcellusService): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const media = url.host === APP_HOST ? MEDIA_PATH.exec(url.pathname) : null;
    if (media) {
      const found = await service.media(media[1] as MediaKind, Number(media[2]));
      // The safe reader refuses a file swapped for a FIFO or a link since it was found.
      const file = found
        ? await openSafe(found.file, { roots: [found.root], maxBytes: MAX_IMAGE_BYTES }).catch(
            () => null,
          )
        : null;
      if (!found || !file) return new Response('Not found', { status: 404 });
      return new Response(Readable.toWeb(file.stream()) as ReadableStream, {
        headers: { 'content-type': found.contentType, 'x-content-type-options': 'nosniff' },
      });
    }
    const file =
      url.host === APP_HOST
        ? resolveInside(rendererDir, url.pathname === '/' ? 'index.html' : url.pathname)
        : null;
    if (!file) return new Response('Not found', { status: 404 });
    const upstream = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(upstream.headers);
    headers.set('content-security-policy', contentSecurityPolicy());
    headers.set('x-content-type-options', 'nosniff');
    return new Response(upstream.body, { status: upstream.status, headers });
  });
}
