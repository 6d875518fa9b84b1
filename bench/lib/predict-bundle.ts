/**
 * What the prediction benchmarks share: photo-like JPEGs, and a MobileNetV2 bundle trained
 * on a few of them through the app's own path.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { OcellusService } from '../../src/main/core/service';
import type { JobInfo } from '../../src/shared/types';
import { benchService } from './app-service';

const BASE_ID = 'bench-mobilenet-v2';

/** A photo-like JPEG: smooth gradients plus seeded noise, so decoding costs what photos cost. */
export async function writePhoto(file: string, width: number, height: number, seed: number) {
  const px = Buffer.alloc(width * height * 3);
  let s = seed * 2654435761;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const noise = (s >>> 24) % 48;
      const i = (y * width + x) * 3;
      px[i] = (x * 255) / width / 2 + ((seed * 37) % 80) + noise;
      px[i + 1] = (y * 255) / height / 2 + ((seed * 53) % 80) + noise;
      px[i + 2] = ((x + y) * 127) / (width + height) + ((seed * 71) % 80) + noise;
    }
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(px, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toFile(file);
}

function jobDone(service: OcellusService, kind: string): Promise<JobInfo> {
  return new Promise((resolve) => {
    const off = service.bus.on('job:updated', (j) => {
      if (j.kind === kind && j.state !== 'running') {
        off();
        resolve(j);
      }
    });
  });
}

/** A MobileNetV2 bundle trained on a few generated images, through the app's own path. */
export async function makeBundle(work: string): Promise<string> {
  const { service } = await benchService({
    work,
    modelDir: path.join(work, 'mobilenet_v2'),
    baseId: BASE_ID,
    host: 'cli',
  });
  try {
    for (const [k, name] of ['warm', 'cool'].entries()) {
      for (let i = 0; i < 8; i++)
        await writePhoto(path.join(work, 'train', name, `${i}.jpg`), 160, 120, k * 100 + i * 7);
    }
    await service.api.project.create({ path: path.join(work, 'bench.ocellus'), name: 'Bench' });
    await service.api.library.addRoot(path.join(work, 'train'), { labelsFromFolders: true });
    await service.whenIdle();
    const trained = jobDone(service, 'train');
    await service.api.train.start({
      baseModel: BASE_ID,
      epochs: 3,
      groupBy: 'none',
      crossValidation: 1,
    });
    if ((await trained).state !== 'done') throw new Error('training failed');
    const out = path.join(work, 'bundle');
    const exported = jobDone(service, 'export');
    await service.api.export.bundle({ out });
    const e = await exported;
    if (e.state !== 'done') throw new Error(`export failed: ${e.error}`);
    return out;
  } finally {
    await service.api.project.close().catch(() => {});
  }
}
