import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import exifr from 'exifr';
import type * as PlaywrightCore from 'playwright-core';
import sharp from 'sharp';
import { withPreview } from '../../tests/helpers/exif-preview';
import { log, type Options } from './options';
import { round, sleep } from '../lib/stats';
import { Rpc, startServer, stopServer } from '../lib/web-server';
import { table } from './stats';

const { chromium } = createRequire(__filename)('playwright-core') as typeof PlaywrightCore;
const DISTINCT = 16;
const PER_FOLDER = 500;

/** A 12 MP photo with some texture (about the size a camera writes) and a 160×120 preview. */
async function cameraJpeg(i: number): Promise<Buffer> {
  const w = 4000;
  const h = 3000;
  const raw = Buffer.alloc(w * h * 3);
  const noise = crypto.randomBytes(w * h);
  for (let p = 0, o = 0; p < w * h; p++, o += 3) {
    const x = p % w;
    const y = (p / w) | 0;
    const n = (noise[p] as number) >> 3;
    raw[o] = ((x >> 4) + i * 40 + n) & 255;
    raw[o + 1] = ((y >> 4) + n) & 255;
    raw[o + 2] = (((x ^ y) >> 5) + i * 13) & 255;
  }
  const main = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 88 })
    .toBuffer();
  const preview = await sharp(main).resize(160, 120).jpeg({ quality: 80 }).toBuffer();
  return withPreview(main, preview);
}

/**
 * Camera previews at import: N fresh 12 MP photos (hard links to 16 distinct ones) added to
 * a new project while the grid is open. Measures the index rate and when the first screen
 * of tiles shows pictures, beside a plain loop of what indexing does (read, sha256, header,
 * EXIF) and of what a thumbnail of such a photo costs without a preview.
 */
export async function runPreviews(opts: Options): Promise<void> {
  const n = opts.previews;
  const sources = path.join(opts.data, 'sources');
  const photos = path.join(opts.data, `photos-${n}`);
  const appData = path.join(opts.data, 'appdata');
  fs.mkdirSync(sources, { recursive: true });
  fs.mkdirSync(appData, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    const f = path.join(sources, `cam${i}.jpg`);
    if (!fs.existsSync(f)) fs.writeFileSync(f, await cameraJpeg(i));
    files.push(f);
  }
  const bytes = fs.statSync(files[0] as string).size;
  fs.rmSync(photos, { recursive: true, force: true });
  for (let i = 0; i < n; i++) {
    const dir = path.join(photos, `f${Math.floor(i / PER_FOLDER)}`);
    if (i % PER_FOLDER === 0) fs.mkdirSync(dir, { recursive: true });
    fs.linkSync(
      files[i % DISTINCT] as string,
      path.join(dir, `IMG_${String(i).padStart(5, '0')}.JPG`),
    );
  }
  log(`${n} photos of ${(bytes / 1e6).toFixed(1)} MB (12 MP with an EXIF preview)`);

  // Plain references, same files: what indexing does per file, and a thumbnail per file.
  const sample = Array.from({ length: 160 }, (_, i) => files[i % DISTINCT] as string);
  let t = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; i < sample.length; i += 8) {
        const buf = await fs.promises.readFile(sample[i] as string);
        crypto.createHash('sha256').update(buf).digest('hex');
        const meta = await sharp(buf).metadata();
        if (meta.exif) await exifr.parse(meta.exif.subarray(6));
      }
    }),
  );
  const plainIndex = sample.length / ((performance.now() - t) / 1000);
  t = performance.now();
  for (const f of files.slice(0, 8))
    await sharp(f).resize(256, 256, { fit: 'inside' }).webp().toBuffer();
  const plainThumb = 8 / ((performance.now() - t) / 1000);

  const server = await startServer(null, appData, opts.data);
  let browser: PlaywrightCore.Browser | null = null;
  try {
    const rpc = await Rpc.connect(server);
    const project = path.join(opts.data, `previews-${Date.now()}.ocellus`);
    await rpc.call('project.create', { path: project, name: 'Previews' });
    browser = await chromium.launch({
      executablePath: ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) =>
        fs.existsSync(f),
      ),
      args: ['--no-sandbox', '--disable-gpu'],
    });
    const page = await (
      await browser.newContext({ viewport: { width: 1600, height: 1000 } })
    ).newPage();
    await page.goto(server.url);
    await page.getByTestId('image-grid').waitFor();
    const t0 = performance.now();
    await rpc.call('library.addRoot', photos);
    let firstOk: number | null = null;
    let allOk: number | null = null;
    let screen: { ms: number; previews: number; cells: number } | null = null;
    while (allOk === null || screen === null) {
      const c = await rpc.call<{ ok: number; pending: number }>('library.counts');
      const at = performance.now() - t0;
      if (firstOk === null && c.ok > 0) firstOk = at;
      if (allOk === null && c.ok === n) allOk = at;
      if (screen === null) {
        const s = (await page.evaluate(`(() => {
          const cells = [...document.querySelectorAll('[data-testid=image-grid] [role=gridcell]')];
          const imgs = cells.map((c) => c.querySelector('img')).filter((i) => i && i.complete && i.naturalWidth > 0);
          return { cells: cells.length, shown: imgs.length, previews: imgs.filter((i) => i.naturalWidth === 160).length };
        })()`)) as { cells: number; shown: number; previews: number };
        if (s.cells > 0 && s.shown === s.cells)
          screen = { ms: at, previews: s.previews, cells: s.cells };
      }
      if (at > 30 * 60_000) throw new Error('the import did not finish');
      await sleep(100);
    }
    const indexRate = n / (((allOk ?? 0) - (firstOk ?? 0)) / 1000);
    rpc.close();
    const rows = [
      ['what', 'Ocellus', 'plain reference'],
      [
        `index ${n.toLocaleString('en-US')} 12 MP photos (read, sha256, header, EXIF)`,
        `${Math.round(indexRate)} images/s`,
        `${Math.round(plainIndex)} images/s (8 at a time)`,
      ],
      [
        'first screen of the grid with pictures, after adding the folder',
        `${Math.round(screen.ms)} ms (${screen.previews} of ${screen.cells} embedded previews)`,
        `${round(screen.cells / plainThumb, 1)} s to make its ${screen.cells} thumbnails (${round(plainThumb, 1)}/s)`,
      ],
      ['every photo indexed (readable in the grid)', `${Math.round(allOk)} ms`, ''],
    ];
    process.stdout.write(
      `\n${table(rows)}\n\n- Target: index at ≥ 500 images/s: ${indexRate >= 500 ? 'met' : 'MISSED'}. ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0]?.toFixed(1)}.\n`,
    );
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    await stopServer(server.child);
  }
}
