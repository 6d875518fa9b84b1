import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_EVENTS, MEDIA_PATH } from '../../shared/api';
import type { MediaKind } from '../../shared/types';
import { parseWsCall, type WsServerMessage } from '../../shared/rpc';
import { dispatch } from '../core/service/dispatch';
import type { OcellusService } from '../core/service';
import { mimeType, resolveInside } from '../core/util/fs-safety';
import { contentSecurityPolicy } from '../csp';

export const WS_PATH = '/api';
const LOOPBACK = '127.0.0.1';

export interface WebServerOptions {
  service: OcellusService;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token for tests; a random one otherwise. */
  token?: string;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * Serves the renderer and the API (WebSocket) on 127.0.0.1 only. The per-start token is
 * required for the API; the Host and Origin headers are checked to stop DNS rebinding and
 * cross-site WebSocket hijacking.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  let port = 0;
  const allowedHosts = () => new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);

  const server = http.createServer((req, res) => {
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('Misdirected request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    if (url.pathname.startsWith(`${WS_PATH}`)) {
      const ok = tokenMatches(url.searchParams.get('token'), token);
      res.writeHead(ok ? 426 : 401, { 'content-type': 'text/plain' });
      res.end(ok ? 'Use a WebSocket' : 'Missing or wrong token');
      return;
    }
    const media = MEDIA_PATH.exec(url.pathname);
    if (media) {
      if (!tokenMatches(url.searchParams.get('token'), token)) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('Missing or wrong token');
        return;
      }
      void serveMedia(options.service, media[1] as MediaKind, Number(media[2]), req, res);
      return;
    }
    const relPath = url.pathname === '/' ? 'index.html' : url.pathname;
    const file = resolveInside(options.rendererDir, relPath);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'content-type': mimeType(file),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': contentSecurityPolicy({
        connect: [`ws://${LOOPBACK}:${port}`, `ws://localhost:${port}`],
      }),
    });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });

  server.on('upgrade', (req, socket: Duplex, head) => {
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    const origin = req.headers.origin;
    const originOk =
      origin === undefined ||
      origin === `http://${LOOPBACK}:${port}` ||
      origin === `http://localhost:${port}`;
    if (
      url.pathname !== WS_PATH ||
      !allowedHosts().has(req.headers.host ?? '') ||
      !originOk ||
      !tokenMatches(url.searchParams.get('token'), token)
    ) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(ws, options.service));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${LOOPBACK}:${port}/?token=${encodeURIComponent(token)}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serveMedia(
  service: OcellusService,
  kind: MediaKind,
  imageId: number,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  try {
    const media = await service.media(kind, imageId);
    if (!media) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'content-type': media.contentType,
      'cache-control': kind === 'thumb' ? 'private, max-age=86400' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
    });
    if (req.method === 'HEAD') res.end();
    else
      fs.createReadStream(media.file)
        .on('error', () => res.destroy())
        .pipe(res);
  } catch (err) {
    console.error('[ocellus] media:', err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end();
  }
}

function serveConnection(ws: WebSocket, service: OcellusService): void {
  const send = (msg: WsServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  const unsubscribers = API_EVENTS.map((event) =>
    service.bus.on(event, (payload) => send({ type: 'event', event, payload })),
  );
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const call = parseWsCall(data.toString());
    if (!call) {
      ws.close(1003, 'Malformed message');
      return;
    }
    void dispatch(service.api, call.channel, call.args).then((result) =>
      send({ type: 'result', id: call.id, result }),
    );
  });
  ws.on('close', () => unsubscribers.forEach((off) => off()));
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
