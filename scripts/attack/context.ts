import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ApiClient, httpGet, running, startServer, type Server, type Tally } from './harness';

/** What every attack works on: the server owning `project`, its watched `photos` folder. */
export interface AttackContext {
  root: string;
  appData: string;
  project: string;
  photos: string;
  /** A file outside every root whose content must never reach the API or an export. */
  secret: string;
  secretMarker: string;
  server: Server;
  api: ApiClient;
  tally: Tally;
}

/** sha256 of a file, hex. */
export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Small distinct JPEGs, a few per class folder. */
export async function writePhotos(dir: string, perClass: number, classes: string[]): Promise<void> {
  for (const [c, cls] of classes.entries()) {
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      await sharp({
        create: {
          width: 64,
          height: 48,
          channels: 3,
          background: { r: (c * 70 + i * 13) % 256, g: (i * 29) % 256, b: (c * 40 + 90) % 256 },
        },
      })
        .jpeg()
        .toFile(path.join(dir, cls, `${cls}-${i}.jpg`));
    }
  }
}

/** Noisy photos, so that their cached thumbnails take real space (for the full-disk case). */
export async function writeNoisyPhotos(dir: string, count: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await sharp({
      create: {
        width: 800,
        height: 600,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 100 + i, sigma: 60 },
      },
    })
      .jpeg({ quality: 90 })
      .toFile(path.join(dir, `n${i}.jpg`));
  }
}

/**
 * Replaces a server that died or stopped answering (the outcome is already counted), so
 * the attacks after it still run against a live one.
 */
export async function recover(ctx: AttackContext): Promise<void> {
  const alive = running(ctx.server) && typeof (await httpGet(ctx.server, '/')) === 'object';
  const answers = alive && typeof (await ctx.api.call('app.info', [], 5000)) === 'object';
  if (alive && answers) return;
  ctx.api.close();
  if (running(ctx.server)) {
    const exited = new Promise((r) => ctx.server.child.once('exit', r));
    ctx.server.child.kill('SIGKILL');
    await exited;
  }
  ctx.server = await startServer(ctx.root, ctx.project);
  ctx.api = await ApiClient.connect(ctx.server);
}
