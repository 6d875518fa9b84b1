/**
 * Attacks on the browser-mode server's sockets by a client holding the token: protocol
 * violations and garbage written as raw frames, a flood of pipelined calls, a client that
 * never reads; and, without the token, HTTP and WebSocket tricks (traversal, wrong token,
 * foreign Host and Origin).
 */
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { recover, type AttackContext } from './context';
import { ApiClient, httpGet, peakRssMb, rawHttp, running, DEADLINE_MS } from './harness';
import { PROTOCOL_VIOLATIONS, rawUpgrade } from './ws-frames';

/** Figures of the flood, for the report. */
export interface FloodFigures {
  calls: number;
  busy: number;
  idleGetMs: number;
  floodedGetMs: number | null;
  peakRssMb: number | null;
}

async function rawAttack(ctx: AttackContext, category: string, bytes: Buffer): Promise<void> {
  let hang = false;
  try {
    const socket = await rawUpgrade(ctx.server.port, ctx.server.token);
    const closed = new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), DEADLINE_MS);
    });
    socket.write(bytes);
    // Garbage that happens to be a valid frame prefix may leave the socket waiting: end it.
    setTimeout(() => socket.end(), 2000);
    hang = !(await closed);
  } catch {
    // Refused at the handshake: that is the server deciding, not failing.
  }
  const page = await httpGet(ctx.server, '/');
  const crash = !running(ctx.server);
  ctx.tally.record(category, {
    crash,
    hang: hang || page === 'hang',
    note: hang ? 'raw socket not closed' : undefined,
  });
  if (crash || page === 'hang') await recover(ctx);
}

/** Every protocol violation, and random garbage after a valid handshake. */
export async function protocolAttacks(ctx: AttackContext): Promise<void> {
  const category = 'WebSocket protocol violations';
  for (const [, bytes] of PROTOCOL_VIOLATIONS) await rawAttack(ctx, category, bytes());
  for (let i = 0; i < 40; i++) {
    await rawAttack(ctx, category, crypto.randomBytes(16 + ((i * 37) % 2048)));
  }
}

/** 20,000 pipelined calls on one socket, and a client that never reads its answers. */
export async function floodAttacks(ctx: AttackContext): Promise<FloodFigures> {
  const category = 'floods on one socket';
  const started = performance.now();
  await httpGet(ctx.server, '/');
  const idleGetMs = performance.now() - started;

  const flooder = await ApiClient.connect(ctx.server);
  const calls = 20_000;
  const answers = Array.from({ length: calls }, () =>
    flooder.send('library.listImages', [{ limit: 200 }]),
  );
  const t0 = performance.now();
  const page = await httpGet(ctx.server, '/');
  const floodedGetMs = page === 'hang' || page === 'refused' ? null : performance.now() - t0;
  let timer: NodeJS.Timeout | undefined;
  const all = await Promise.race([
    Promise.all(answers),
    new Promise<'hang'>((resolve) => {
      timer = setTimeout(() => resolve('hang'), 120_000);
    }),
  ]);
  clearTimeout(timer);
  const busy =
    all === 'hang'
      ? 0
      : all.filter((r) => typeof r === 'object' && !r.ok && r.error?.code === 'BUSY').length;
  ctx.tally.record(category, {
    crash: !running(ctx.server),
    hang: all === 'hang' || floodedGetMs === null,
  });
  flooder.close();

  // A client that asks and never reads: the server must drop it, not buffer without end.
  const ws = new WebSocket(`ws://127.0.0.1:${ctx.server.port}/api?token=${ctx.server.token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', () => undefined);
  // Stop reading at the TCP level; ws has no public way to, so reach its socket.
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  for (let id = 1; id <= 5000; id++) {
    ws.send(
      JSON.stringify({ type: 'call', id, channel: 'library.listImages', args: [{ limit: 500 }] }),
    );
  }
  const after = await httpGet(ctx.server, '/');
  ctx.tally.record(category, { crash: !running(ctx.server), hang: after === 'hang' });
  ws.terminate();
  return {
    calls,
    busy,
    idleGetMs,
    floodedGetMs,
    peakRssMb: peakRssMb(ctx.server.child.pid),
  };
}

/** Without the token, or with a foreign Host or Origin: refused, and nothing outside served. */
export async function httpAttacks(ctx: AttackContext): Promise<void> {
  const category = 'HTTP and handshake tricks';
  const q = `?token=${encodeURIComponent(ctx.server.token)}`;
  const secretName = encodeURIComponent(ctx.secret);
  const paths = [
    '/../../../../etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e%5c%2e%2e%5cetc%5cpasswd',
    '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    '/index.html%00.png',
    `/${secretName}`,
    `/media/original/..%2F..%2Fetc%2Fpasswd${q}`,
    `/media/thumb/%2e%2e%2fsecret${q}`,
    `/media/original/1%00${q}`,
    `/media/original/999999999999999${q}`,
    `/media/original/${secretName}${q}`,
    '/media/thumb/1',
    '/media/original/1?token=wrong',
    '/api',
    '/api?token=wrong',
  ];
  for (const p of paths) {
    const res = await httpGet(ctx.server, p);
    const leak =
      typeof res === 'object' &&
      (res.body.includes('root:x:') || res.body.includes(ctx.secretMarker));
    ctx.tally.record(category, { leak, hang: res === 'hang', crash: !running(ctx.server) });
  }
  for (const headers of [
    { host: 'evil.example' },
    { host: `evil.example:${ctx.server.port}` },
    { host: `127.0.0.1.evil.example:${ctx.server.port}` },
  ]) {
    const res = await httpGet(ctx.server, '/', headers);
    const leak = typeof res === 'object' && res.status === 200;
    ctx.tally.record(category, {
      leak,
      hang: res === 'hang',
      note: leak ? `Host ${headers.host} served` : undefined,
    });
  }
  // Request targets that do not parse as URLs (once an uncaught exception), plain and upgrade.
  for (const target of ['http://[', '//[::1', 'http://a:b:c/', '/%', '*']) {
    for (const upgrade of ['', 'Upgrade: websocket\r\nConnection: Upgrade\r\n']) {
      const answer = await rawHttp(
        ctx.server,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${ctx.server.port}\r\n${upgrade}` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      const crash = !running(ctx.server);
      ctx.tally.record(category, { crash, hang: answer === 'hang', note: `target ${target}` });
      if (crash) await recover(ctx);
    }
  }
  const base = `ws://127.0.0.1:${ctx.server.port}/api`;
  for (const [url, origin] of [
    [base, undefined],
    [`${base}?token=wrong`, undefined],
    [`${base}?token=${ctx.server.token}`, 'http://evil.example'],
    [`${base}?token=${ctx.server.token}`, `http://localhost.evil.example:${ctx.server.port}`],
    [`ws://127.0.0.1:${ctx.server.port}/other?token=${ctx.server.token}`, undefined],
  ] as const) {
    const opened = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(url, origin ? { headers: { origin } } : {});
      ws.once('open', () => {
        ws.close();
        resolve(true);
      });
      ws.once('error', () => resolve(false));
    });
    ctx.tally.record(category, { leak: opened, note: opened ? `${url} opened` : undefined });
  }
}
