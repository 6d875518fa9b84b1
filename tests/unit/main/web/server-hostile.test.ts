/**
 * Regression tests for a browser-mode server that a client holding the token could kill or
 * stall: protocol violations written as raw frames to the socket (each was an uncaught
 * exception), and tens of thousands of pipelined calls on one socket.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWebServer, WS_LIMITS, type WebServer } from '../../../../src/main/web/server';
import { makeTestService } from '../../../helpers/service';
import { PROTOCOL_VIOLATIONS, rawUpgrade } from '../../../../scripts/attack/ws-frames';

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

  it.each(PROTOCOL_VIOLATIONS)('closes only the connection that sends %s', async (_name, bytes) => {
    const socket = await rawUpgrade(server.port, server.token);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(bytes());
    await closed;
    await expectAlive();
  });

  it('answers a request target that does not parse as a URL with 400, upgrade or not', async () => {
    for (const target of ['http://[', '//[::1', 'http://a:b:c/']) {
      for (const upgrade of ['', 'Upgrade: websocket\r\nConnection: Upgrade\r\n']) {
        const answer = await new Promise<string>((resolve) => {
          const socket = net.connect(server.port, '127.0.0.1', () =>
            socket.write(
              `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n${upgrade}` +
                'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
            ),
          );
          let text = '';
          socket.on('data', (d) => (text += d.toString()));
          socket.on('close', () => resolve(text));
          socket.on('error', () => undefined);
        });
        expect(answer, `${target} ${upgrade ? 'upgrade' : ''}`).toMatch(/^HTTP\/1\.1 (400|401)/);
      }
    }
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
