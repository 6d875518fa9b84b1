/**
 * Hostile files in a watched folder: links to devices and to files outside the root, FIFOs,
 * a socket, sparse giants, link loops and a folder link leading out; met by the watcher,
 * by a rescan and by the first scan when the project opens again.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { recover, sha256, type AttackContext } from './context';
import {
  ApiClient,
  httpGet,
  importIdle,
  running,
  startServer,
  stopServer,
  type Outcome,
} from './harness';

const CATEGORY = 'files in a watched folder';

interface Planted {
  name: string;
  /** Content that must never be read: its hash must not show up. */
  forbiddenHash?: string;
  /** Listed as unsupported (FIFO, socket, giant) rather than left out. */
  listed?: boolean;
}

/** Puts every hostile file into the watched folder; returns what each must lead to. */
async function plant(ctx: AttackContext, sockets: net.Server[]): Promise<Planted[]> {
  const at = (name: string) => path.join(ctx.photos, name);
  const planted: Planted[] = [];
  fs.symlinkSync('/dev/zero', at('zero.jpg'));
  planted.push({ name: 'zero.jpg' });
  fs.symlinkSync('/dev/urandom', at('urandom.jpg'));
  planted.push({ name: 'urandom.jpg' });
  fs.symlinkSync('/etc/passwd', at('passwd.jpg'));
  planted.push({ name: 'passwd.jpg', forbiddenHash: sha256('/etc/passwd') });
  fs.symlinkSync(ctx.secret, at('secret.jpg'));
  planted.push({ name: 'secret.jpg', forbiddenHash: sha256(ctx.secret) });
  const later = path.join(ctx.root, 'outside', 'later.jpg');
  fs.symlinkSync(later, at('later.jpg'));
  for (let i = 1; i <= 4; i++) {
    execFileSync('mkfifo', [at(`pipe${i}.jpg`)]);
    planted.push({ name: `pipe${i}.jpg`, listed: true });
  }
  for (let i = 1; i <= 3; i++) {
    const file = at(`sparse${i}.jpg`);
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, 1.9e9);
    planted.push({ name: `sparse${i}.jpg`, listed: true });
  }
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(at('socket.jpg'), resolve));
  sockets.push(server);
  planted.push({ name: 'socket.jpg', listed: true });
  fs.symlinkSync(at('loop-b.jpg'), at('loop-a.jpg'));
  fs.symlinkSync(at('loop-a.jpg'), at('loop-b.jpg'));
  planted.push({ name: 'loop-a.jpg' }, { name: 'loop-b.jpg' });
  fs.symlinkSync('/', at('root-link'));
  planted.push({ name: 'root-link' });
  // The outside file appears only after the link to it is watched.
  fs.writeFileSync(later, `${ctx.secretMarker} later`);
  planted.push({ name: 'later.jpg', forbiddenHash: sha256(later) });
  return planted;
}

/** Judges every planted file after the server has had its go at them. */
async function judgeAll(ctx: AttackContext, planted: Planted[], round: string): Promise<void> {
  const idle = running(ctx.server) && (await importIdle(ctx.api));
  const page = running(ctx.server) ? await httpGet(ctx.server, '/') : 'refused';
  const serving = typeof page === 'object' && page.status === 200;
  const list = await ctx.api.call('library.listImages', [{ limit: 5000 }]);
  const images =
    typeof list === 'object' && list.ok ? (list.value as { items: Image[] }).items : [];
  const hashes = new Set<string>();
  for (const img of images) {
    const d = await ctx.api.call('library.image', [img.id]);
    if (typeof d === 'object' && d.ok) hashes.add(String((d.value as { hash: unknown }).hash));
  }
  for (const p of planted) {
    const row = images.find((i) => i.relPath === p.name);
    const outcome: Outcome = {
      crash: !running(ctx.server),
      hang: !idle || !serving,
      leak: p.forbiddenHash !== undefined && hashes.has(p.forbiddenHash),
    };
    if (p.listed && row?.status !== 'unsupported') {
      outcome.note = `${round} ${p.name}: ${row ? row.status : 'not listed'}`;
    }
    ctx.tally.record(CATEGORY, outcome);
  }
  // The images that are fine are still served (the file threads are not all blocked).
  for (const img of images.filter((i) => i.status === 'ok').slice(0, 3)) {
    const res = await httpGet(ctx.server, `/media/thumb/${img.id}?token=${ctx.server.token}`);
    const served = typeof res === 'object' && res.status === 200;
    ctx.tally.record(CATEGORY, { hang: !served, crash: !running(ctx.server) });
  }
}

interface Image {
  id: number;
  relPath: string;
  status: string;
}

/** Swaps a few imported photos for links to the secret, a FIFO, and asks for them at once. */
async function swapOriginals(ctx: AttackContext): Promise<void> {
  const list = await ctx.api.must<{ items: Image[] }>('library.listImages', [{ limit: 5000 }]);
  for (const [i, img] of list.items
    .filter((x) => x.status === 'ok')
    .slice(0, 4)
    .entries()) {
    const file = path.join(ctx.photos, img.relPath);
    fs.rmSync(file);
    if (i % 2 === 0) fs.symlinkSync(ctx.secret, file);
    else execFileSync('mkfifo', [file]);
    const res = await httpGet(ctx.server, `/media/original/${img.id}?token=${ctx.server.token}`);
    ctx.tally.record(CATEGORY, {
      leak: typeof res === 'object' && res.body.includes(ctx.secretMarker),
      hang: res === 'hang',
      crash: !running(ctx.server),
    });
  }
}

/** Runs the file attacks in three rounds: watched, rescanned, and found at the next open. */
export async function fileAttacks(ctx: AttackContext): Promise<void> {
  const sockets: net.Server[] = [];
  try {
    const planted = await plant(ctx, sockets);
    await judgeAll(ctx, planted, 'watch');
    await recover(ctx);
    await ctx.api.call('library.rescan', []);
    await judgeAll(ctx, planted, 'rescan');
    await recover(ctx);
    await swapOriginals(ctx);
    await stopServer(ctx.server);
    ctx.server = await startServer(ctx.root, ctx.project);
    ctx.api = await ApiClient.connect(ctx.server);
    await judgeAll(ctx, planted, 'reopen');
  } finally {
    for (const s of sockets) s.close();
  }
}
