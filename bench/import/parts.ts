/** The import benchmark's two sides: Ocellus's import and the plain sharp/exifr reference. */
import fs from 'node:fs';
import path from 'node:path';
import { log } from '../lib/measure';
import { cacheDirFor } from '../../src/main/core/library/derivative-paths';
import { createOcellusService } from '../../src/main/core/service';
import { PARALLELISM } from './options';
import { type ImageSet, setFiles } from './images';
import { rss, measure } from './measure';
import {
  type ImportResult,
  importRoot,
  type RefResult,
  referenceIndex,
  referenceThumbs,
  fileSize,
  type FolderSize,
  folderSize,
} from './steps';

export interface OcellusPart {
  small: ImportResult;
  big: ImportResult | null;
  regroupSeconds: number;
  project: { path: string; main: number; wal: number; shm: number; afterClose: number };
  cache: { dir: string; thumbs: FolderSize; inputs: FolderSize };
  rssAtStart: number;
  peakRss: number;
  maxRss: number;
}

/** Child: imports the small set, then the big set as a second root, through the service. */
export async function ocellusPart(
  small: ImageSet,
  big: ImageSet,
  work: string,
): Promise<OcellusPart> {
  const rssAtStart = process.memoryUsage.rss();
  const all = rss.open();
  const projectPath = path.join(work, 'bench.ocellus');
  const service = createOcellusService({
    host: 'cli',
    appVersion: __OCELLUS_VERSION__,
    appDataDir: path.join(work, 'appdata'),
    defaultProjectDir: work,
    watch: false,
    trackRecent: false,
  });
  await service.api.project.create({ path: projectPath });
  log(`Ocellus: importing ${small.dir}`);
  const ocSmall = await importRoot(service, small.dir);
  if (ocSmall.counts.ok !== small.count) {
    log(`  warning: ${ocSmall.counts.ok} of ${small.count} images imported ok`);
  }
  // The end of the job regroups sequences; time that alone to see what the last phase carries.
  const regroup = await measure(async () => {
    await service.api.library.updateSettings({ sequenceGapSeconds: 60 });
  });
  let ocBig: ImportResult | null = null;
  if (big.count > 0) {
    log(`Ocellus: importing ${big.dir} (second root)`);
    ocBig = await importRoot(service, big.dir);
  }
  const main = fileSize(projectPath);
  const wal = fileSize(`${projectPath}-wal`);
  const shm = fileSize(`${projectPath}-shm`);
  const cacheDir = cacheDirFor(projectPath);
  const cache = {
    dir: cacheDir,
    thumbs: folderSize(path.join(cacheDir, 'thumbs')),
    inputs: folderSize(path.join(cacheDir, 'inputs')),
  };
  const peakRss = rss.close(all);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  await service.dispose();
  const afterClose = fileSize(projectPath) + fileSize(`${projectPath}-wal`);
  return {
    small: ocSmall,
    big: ocBig,
    regroupSeconds: regroup.seconds,
    project: { path: projectPath, main, wal, shm, afterClose },
    cache,
    rssAtStart,
    peakRss,
    maxRss,
  };
}

export interface ReferencePart {
  index: RefResult;
  thumbs: RefResult;
  bigIndex: RefResult | null;
  bigThumbs: RefResult | null;
  thumbBytes: number;
  rssAtStart: number;
  peakRss: number;
  maxRss: number;
}

/** Child: the plain loops, on the same files, with concurrency = availableParallelism. */
export async function referencePart(
  small: ImageSet,
  big: ImageSet,
  work: string,
): Promise<ReferencePart> {
  const rssAtStart = process.memoryUsage.rss();
  const all = rss.open();
  const smallFiles = setFiles(small);
  const bigFiles = big.count > 0 ? setFiles(big) : [];
  log(`reference: index loop, concurrency ${PARALLELISM}`);
  const index = await referenceIndex(smallFiles, PARALLELISM);
  log(`  ${index.seconds.toFixed(2)} s`);
  const out = path.join(work, 'reference-thumbs');
  log(`reference: thumbnails 1024×768, concurrency ${PARALLELISM}`);
  const thumbs = await referenceThumbs(smallFiles, path.join(out, 'small'), PARALLELISM);
  log(`  ${thumbs.seconds.toFixed(2)} s`);
  let bigIndex: RefResult | null = null;
  let bigThumbs: RefResult | null = null;
  if (bigFiles.length > 0) {
    log(`reference: index + thumbnails 4000×3000, concurrency ${PARALLELISM}`);
    bigIndex = await referenceIndex(bigFiles, PARALLELISM);
    bigThumbs = await referenceThumbs(bigFiles, path.join(out, 'big'), PARALLELISM);
    log(`  ${bigIndex.seconds.toFixed(2)} s + ${bigThumbs.seconds.toFixed(2)} s`);
  }
  const thumbBytes = folderSize(out).bytes;
  fs.rmSync(out, { recursive: true, force: true });
  return {
    index,
    thumbs,
    bigIndex,
    bigThumbs,
    thumbBytes,
    rssAtStart,
    peakRss: rss.close(all),
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}
