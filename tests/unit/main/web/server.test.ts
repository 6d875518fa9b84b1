import path from 'node:path';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWebServer, type WebServer } from '../../../../src/main/web/server';
import { writeJpeg } from '../../../helpers/image-fixtures';
import { makeTestService } from '../../../helpers/service';

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function call(ws: WebSocket, id: number, channel: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as { type: string; id?: number };
      if (msg.type === 'result' && msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'call', id, channel, args }));
  });
}

describe('browser-mode server', () => {
  let t: ReturnType<typeof makeTestService>;
  let server: WebServer;
  let rendererDir: string;

  beforeEach(async () => {
    t = makeTestService();
    rendererDir = path.join(t.dir, 'renderer');
    fs.mkdirSync(rendererDir);
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>x</title>');
    fs.writeFileSync(path.join(t.dir, 'secret.txt'), 'secret');
    server = await startWebServer({ service: t.service, rendererDir });
  });
  afterEach(async () => {
    await server.close();
    await t.cleanup();
  });

  it('binds to 127.0.0.1 and prints a URL with the token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(server.token.length).toBeGreaterThanOrEqual(24);
  });

  it('refuses a WebSocket without the token, with a wrong token or a foreign origin', async () => {
    const base = `ws://127.0.0.1:${server.port}/api`;
    await expect(connect(base)).rejects.toThrow(/401/);
    await expect(connect(`${base}?token=wrong`)).rejects.toThrow(/401/);
    await expect(
      connect(`${base}?token=${server.token}`, { origin: 'http://evil.example' }),
    ).rejects.toThrow(/401/);
    const res = await fetch(`http://127.0.0.1:${server.port}/api`);
    expect(res.status).toBe(401);
  });

  it('serves the contract over the socket and pushes events', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    const events: string[] = [];
    ws.on('message', (d) => {
      const msg = JSON.parse(d.toString()) as { type: string; event?: string };
      if (msg.type === 'event' && msg.event) events.push(msg.event);
    });
    const file = path.join(t.dir, 'p.ocellus');
    const created = await call(ws, 1, 'project.create', [{ path: file, name: 'P' }]);
    expect(created).toMatchObject({ result: { ok: true, value: { name: 'P' } } });
    const bad = await call(ws, 2, 'project.open', [path.join(t.dir, 'secret.txt')]);
    expect(bad).toMatchObject({ result: { ok: false, error: { code: 'NOT_A_PROJECT' } } });
    expect(events).toContain('project:changed');
    ws.close();
  });

  it('serves media only with the token, and only files of the project', async () => {
    const photos = path.join(t.dir, 'photos');
    await writeJpeg(path.join(photos, 'a.jpg'), { width: 50, height: 40 });
    await t.service.api.project.create({ path: path.join(t.dir, 'm.ocellus') });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    const [img] = (await t.service.api.library.listImages({})).items;
    const base = `http://127.0.0.1:${server.port}`;
    const q = `?token=${encodeURIComponent(server.token)}`;
    expect((await fetch(`${base}/media/thumb/${img?.id}`)).status).toBe(401);
    const thumb = await fetch(`${base}/media/thumb/${img?.id}${q}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect((await fetch(`${base}/media/original/${img?.id}${q}`)).status).toBe(200);
    for (const p of [
      '/media/thumb/999999',
      '/media/original/..%2F..%2Fsecret.txt',
      '/media/thumb/%2e%2e%2fsecret.txt',
      '/media/../secret.txt',
      '/media/original/1%00',
      `/media/original/${encodeURIComponent(path.join(t.dir, 'secret.txt'))}`,
    ]) {
      const res = await fetch(`${base}${p}${q}`);
      expect(res.status, p).toBe(404);
      expect(await res.text()).not.toContain('secret');
    }
  });

  it('serves renderer files and nothing outside them', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%5csecret.txt',
    ]) {
      const res = await fetch(`${base}${p}`);
      expect(res.status, p).toBe(404);
    }
    fs.symlinkSync(path.join(t.dir, 'secret.txt'), path.join(rendererDir, 'link.txt'));
    expect((await fetch(`${base}/link.txt`)).status).toBe(404);
  });
});
