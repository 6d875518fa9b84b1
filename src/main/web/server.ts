import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_EVENTS, MEDIA_PATH } from '../../shared/api';
import type { MediaKind } from '../../shared/types';
import type { SerializedError } from '../../shared/errors';
import { parseWsCall, type WsCall, type WsServerMessage } from '../../shared/rpc';
import { dispatch } from '../core/service/dispatch';
import type { OcellusService } from '../core/service';
import { mimeType, resolveInside } from '../core/util/fs-safety';
import { openSafe } from '../core/util/safe-fs';
import { MAX_IMAGE_BYTES } from '../core/library/probe';
import { contentSecurityPolicy } from '../csp';

export const WS_PATH = '/api';
const LOOPBACK = '127.0.0.1';

/** Limits that keep one WebSocket client from starving the others and the HTTP side. */
export const WS_LIMITS = {
  /** Largest message accepted; a "select all" of 10^6 image ids is about 8 MB. */
  maxPayloadBytes: 16 * 1024 * 1024,
  /** Calls of one connection running at once. */
  maxInFlight: 8,
  /** Calls of one connection waiting to run; more are refused with BUSY. */
  maxQueued: 512,
  /** Bytes of waiting calls of one connection; more are refused with BUSY. */
  maxQueuedBytes: 64 * 1024 * 1024,
  /** Unsent bytes to a client that does not read before it is disconnected. */
  maxUnsentBytes: 64 * 1024 * 1024,
};

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
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_LIMITS.maxPayloadBytes });
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
    const url = parseUrl(req.url, port);
    if (!url) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad request');
      return;
    }
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
    serveRendererFile(options.rendererDir, url.pathname, port, req, res);
  });

  server.on('upgrade', (req, socket: Duplex, head) => {
    const url = parseUrl(req.url, port);
    const origin = req.headers.origin;
    const originOk =
      origin === undefined ||
      origin === `http://${LOOPBACK}:${port}` ||
      origin === `http://localhost:${port}`;
    if (
      !url ||
      url.pathname !== WS_PATH ||
      !allowedHosts().has(req.headers.host ?? '') ||
      !originOk ||
      !tokenMatches(url.searchParams.get('token'), token)
    ) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // A client resetting mid-handshake must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy());
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

/** The request's URL, or null when it does not parse (which would throw, uncaught). */
function parseUrl(raw: string | undefined, port: number): URL | null {
  try {
    return new URL(raw ?? '/', `http://${LOOPBACK}:${port}`);
  } catch {
    return null;
  }
}

/** A file of the built renderer, with the app's CSP; nothing outside its folder. */
function serveRendererFile(
  rendererDir: string,
  pathname: string,
  port: number,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const file = resolveInside(rendererDir, pathname === '/' ? 'index.html' : pathname);
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
  else
    fs.createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
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
    // Opened through the safe reader: a file swapped for a FIFO or a link since it was found
    // is refused instead of blocking a file-system thread for good.
    const file = media
      ? await openSafe(media.file, { roots: [media.root], maxBytes: MAX_IMAGE_BYTES }).catch(
          () => null,
        )
      : null;
    if (!media || !file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'content-type': media.contentType,
      'cache-control': kind === 'thumb' ? 'private, max-age=86400' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
    });
    if (req.method === 'HEAD') {
      await file.close();
      res.end();
      return;
    }
    file
      .stream()
      .on('error', () => res.destroy())
      .pipe(res);
  } catch (err) {
    console.error('[ocellus] media:', err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end();
  }
}

/**
 * One client's calls and events. Protocol errors close only this connection (ws reports
 * them as 'error'; unhandled, that was an uncaught exception that ended the server). Calls
 * run at most `maxInFlight` at a time, each started on its own turn of the event loop so
 * HTTP requests and other clients keep being served; a bounded queue holds the rest, and
 * beyond it calls are answered BUSY at once.
 */
function serveConnection(ws: WebSocket, service: OcellusService): void {
  const queue: { call: WsCall; bytes: number }[] = [];
  let queuedBytes = 0;
  let inFlight = 0;
  let closed = false;
  const send = (msg: WsServerMessage) => {
    if (closed || ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify(msg));
    if (ws.bufferedAmount > WS_LIMITS.maxUnsentBytes) {
      console.error('[ocellus] WebSocket client is not reading its messages; disconnected');
      ws.terminate();
    }
  };
  const unsubscribers = API_EVENTS.map((event) =>
    service.bus.on(event, (payload) => send({ type: 'event', event, payload })),
  );
  const pump = () => {
    while (!closed && inFlight < WS_LIMITS.maxInFlight && queue.length > 0) {
      const { call, bytes } = queue.shift() as { call: WsCall; bytes: number };
      queuedBytes -= bytes;
      inFlight++;
      setImmediate(() => {
        void dispatch(service.api, call.channel, call.args)
          .then((result) => send({ type: 'result', id: call.id, result }))
          .finally(() => {
            inFlight--;
            pump();
          });
      });
    }
  };
  ws.on('error', (err) => {
    console.error(`[ocellus] WebSocket client broke the protocol (${err.message}); disconnected`);
    ws.terminate();
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const raw = data.toString();
    const call = parseWsCall(raw);
    if (!call) {
      ws.close(1003, 'Malformed message');
      return;
    }
    if (
      queue.length >= WS_LIMITS.maxQueued ||
      queuedBytes + raw.length > WS_LIMITS.maxQueuedBytes
    ) {
      send({ type: 'result', id: call.id, result: { ok: false, error: busyError() } });
      return;
    }
    queue.push({ call, bytes: raw.length });
    queuedBytes += raw.length;
    pump();
  });
  ws.on('close', () => {
    closed = true;
    queue.length = 0;
    unsubscribers.forEach((off) => off());
  });
}

function busyError(): SerializedError {
  return {
    code: 'BUSY',
    message: `Too many calls are waiting on this connection (${WS_LIMITS.maxQueued} queued, ${WS_LIMITS.maxInFlight} running); wait for answers before sending more`,
  };
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
