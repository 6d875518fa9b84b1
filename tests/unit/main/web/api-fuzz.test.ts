/**
 * Every method of the contract, called over the browser-mode WebSocket with hostile
 * argument shapes (wrong types, huge and negative numbers, NUL bytes, traversal paths,
 * devices, deep nesting, prototype keys). Each answer must be a well-formed envelope whose
 * error, if any, has a known code that is not INTERNAL (hostile input is never a bug), and
 * the server must answer the next call on the same socket.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listMethods } from '../../../../src/shared/api';
import { ERROR_CODES } from '../../../../src/shared/errors';
import { startWebServer, type WebServer } from '../../../../src/main/web/server';
import { writeJpeg } from '../../../helpers/image-fixtures';
import { makeTestService } from '../../../helpers/service';
import { argLists, hostileValues } from '../../../../scripts/attack/hostile-values';

const HOSTILE = hostileValues();

interface Envelope {
  ok: boolean;
  value?: unknown;
  error?: { code: unknown; message: unknown };
}

describe('API fuzz over the WebSocket', () => {
  let t: ReturnType<typeof makeTestService>;
  let server: WebServer;
  let ws: WebSocket;
  let project: string;
  let nextId = 1;
  const waiting = new Map<number, (r: Envelope) => void>();

  const call = (channel: string, args: unknown[]): Promise<Envelope> =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ type: 'call', id, channel, args }));
    });

  beforeAll(async () => {
    t = makeTestService('web');
    const rendererDir = path.join(t.dir, 'renderer');
    fs.mkdirSync(rendererDir);
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>x</title>');
    const photos = path.join(t.dir, 'photos');
    await writeJpeg(path.join(photos, 'cat', 'a.jpg'), { width: 16, height: 16 });
    await writeJpeg(path.join(photos, 'dog', 'b.jpg'), { width: 16, height: 16, color: '#0a0' });
    // Paths that hang a naive open(): a FIFO and a link to a device, named like a project.
    const fifo = path.join(t.dir, 'fifo.ocellus');
    execFileSync('mkfifo', [fifo]);
    const device = path.join(t.dir, 'zero.ocellus');
    fs.symlinkSync('/dev/zero', device);
    HOSTILE.push(fifo, device, { path: fifo }, { out: fifo, format: 'csv' });
    project = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: project });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
    server = await startWebServer({ service: t.service, rendererDir });
    ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    ws.on('message', (d) => {
      const msg = JSON.parse(d.toString()) as { type: string; id?: number; result?: Envelope };
      if (msg.type !== 'result' || msg.id === undefined) return;
      waiting.get(msg.id)?.(msg.result as Envelope);
      waiting.delete(msg.id);
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
  });
  afterAll(async () => {
    expect(fs.existsSync(path.resolve('fuzz-relative-project.ocellus'))).toBe(false);
    ws.close();
    await server.close();
    await t.cleanup();
  });

  // Dialogs need a desktop; 'project' changes what is open, so it runs last.
  const methods = listMethods().sort(
    (a, b) => Number(a.domain === 'project') - Number(b.domain === 'project'),
  );

  it.each(methods.map((m) => [m.channel]))(
    '%s answers hostile arguments with a typed error, never INTERNAL, and stays up',
    { timeout: 120_000 },
    async (channel) => {
      const problems: string[] = [];
      // A job the call started may fail too, but for a reason, never as a bug.
      const off = t.service.bus.on('job:updated', (job) => {
        if (job.state === 'failed' && (job.errorCode ?? 'INTERNAL') === 'INTERNAL') {
          problems.push(`job ${job.title}: ${job.error ?? ''}`);
        }
      });
      for (const args of argLists(HOSTILE)) {
        const r = await call(channel, args);
        const shown = JSON.stringify(args).slice(0, 120);
        if (typeof r?.ok !== 'boolean') problems.push(`${shown}: no envelope`);
        else if (!r.ok) {
          const { code, message } = r.error ?? {};
          if (!(ERROR_CODES as readonly unknown[]).includes(code) || code === 'INTERNAL') {
            problems.push(`${shown}: ${String(code)} ${String(message).slice(0, 160)}`);
          } else if (typeof message !== 'string' || message === '') {
            problems.push(`${shown}: ${String(code)} without a message`);
          }
        }
        const alive = await call('app.info', []);
        expect(alive.ok, `server answers after ${channel}(${shown})`).toBe(true);
        // Keep a project open for the next call (close, or an open of something else).
        const current = await call('project.current', []);
        if ((current.value as { path?: string } | null)?.path !== project) {
          const reopened = await call('project.open', [project]);
          expect(reopened.ok, `reopen after ${channel}(${shown})`).toBe(true);
        }
        await t.service.whenIdle();
      }
      off();
      expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
      expect(problems).toEqual([]);
    },
  );
});
