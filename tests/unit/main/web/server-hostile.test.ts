/**
 * Regression tests for a browser-mode server that a client holding the token could kill or
 * stall: protocol violations written as raw frames to the socket (each was an uncaught
 * exception), and tens of thousands of pipelined calls on one socket.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWebServer, WS_LIMITS, type WebServer } from '../../../../src/main/web/server';
import { makeTestService } from '../../../helpers/service';

/** A WebSocket frame as a client would send it (masked unless told otherwise). */
function frame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; rsv1?: boolean; masked?: boolean; claimedLength?: number } = {},
): Buffer {
  const { fin = true, rsv1 = false, masked = true } = options;
  const length = options.claimedLength ?? payload.length;
  const head = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode];
  const maskBit = masked ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(length));
  }
  if (!masked) return Buffer.concat([Buffer.from(head), ext, payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ (key[i % 4] as number)));
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

/** Opens a raw TCP connection and completes the WebSocket handshake by hand. */
function rawUpgrade(port: number, token: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `GET /api?token=${encodeURIComponent(token)} HTTP/1.1\r\n` +
          `Host: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(head.split('\r\n')[0]));
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('browser-mode server under hostile clients', () => {
  let t: ReturnType<typeof makeTestService>;
  let server: WebServer;

  beforeEach(async () => {
    t = makeTestService();
    const rendererDir = path.join(t.dir, 'renderer');
    fs.mkdirSync(rendererDir);
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>x</title>');
    server = await startWebServer({ service: t.service, rendererDir });
  });
  afterEach(async () => {
    await server.close();
    await t.cleanup();
  });

  /** The server still serves a page and answers a call on a new connection. */
  async function expectAlive(): Promise<void> {
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
    const ws = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    const answer = new Promise<{ result: { ok: boolean } }>((resolve) =>
      ws.once('message', (d) => resolve(JSON.parse(d.toString()))),
    );
    ws.send(JSON.stringify({ type: 'call', id: 1, channel: 'app.info', args: [] }));
    expect((await answer).result.ok).toBe(true);
    ws.close();
  }

  const violations: [string, Buffer][] = [
    ['a frame above the size cap', frame(1, Buffer.alloc(16), { claimedLength: 17 * 1024 * 1024 })],
    ['invalid UTF-8 in a text frame', frame(1, Buffer.from([0xff, 0xfe, 0xfd]))],
    ['RSV1 set without an extension', frame(1, Buffer.from('{}'), { rsv1: true })],
    ['an unmasked client frame', frame(1, Buffer.from('{}'), { masked: false })],
    ['an unknown opcode', frame(3, Buffer.from('x'))],
    ['a ping longer than 125 bytes', frame(9, Buffer.alloc(200, 1))],
    ['close code 999', frame(8, Buffer.from([0x03, 0xe7]))],
    ['a fragmented ping', frame(9, Buffer.from('x'), { fin: false })],
    ['a continuation with nothing to continue', frame(0, Buffer.from('x'))],
  ];

  it.each(violations)('closes only the connection that sends %s', async (_name, bytes) => {
    const socket = await rawUpgrade(server.port, server.token);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(bytes);
    await closed;
    await expectAlive();
  });

  it('answers 20,000 pipelined calls (BUSY beyond the queue) and keeps serving pages', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    const total = 20_000;
    const codes = new Map<string, number>();
    let answered = 0;
    const all = new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        const msg = JSON.parse(d.toString()) as {
          type: string;
          result?: { ok: boolean; error?: { code: string; message: string } };
        };
        if (msg.type !== 'result') return;
        const code = msg.result?.ok ? 'ok' : (msg.result?.error?.code ?? '?');
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (++answered === total) resolve();
      });
    });
    for (let id = 1; id <= total; id++) {
      ws.send(JSON.stringify({ type: 'call', id, channel: 'app.info', args: [] }));
    }
    // Served while the socket is flooded.
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
    await all;
    expect(codes.get('BUSY') ?? 0).toBeGreaterThan(0);
    expect(codes.get('ok') ?? 0).toBeGreaterThanOrEqual(WS_LIMITS.maxQueued);
    expect([...codes.keys()].sort()).toEqual(['BUSY', 'ok']);
    ws.close();
    await expectAlive();
  });
});
