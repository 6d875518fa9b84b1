/**
 * Import benchmark: Ocellus's library import (scan, index, thumbnails) against a plain
 * sharp/exifr loop on the same files, side by side in one run. Each side runs in its own child
 * process (this script with --part), so that its RSS and maxRSS are its own.
 *
 *   npm run bench:import -- [--n 20000] [--big 200] [--data DIR] [--keep] [--json]
 *
 * The test images are generated once (untimed) and cached in --data, one folder per set size.
 * Progress goes to stderr; the table (or with --json the result object) goes to stdout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { log, rate, secs, table } from './lib/measure';
import { type Part, type Options, parseOptions, PARALLELISM } from './import/options';
import { type ImageSet, imageSet, setFiles, isComplete, generateSet } from './import/images';
import { runPart, rss, type Span, type Phase } from './import/measure';
import { type RefResult, warmPageCache } from './import/steps';
import { mb, fmtRate, ratio, target } from './import/output';
import { type OcellusPart, ocellusPart, type ReferencePart, referencePart } from './import/parts';

// ---------------------------------------------------------------------------------------------
// Main

async function child(opts: Options, part: Part, small: ImageSet, big: ImageSet): Promise<void> {
  if (part === 'generate') {
    await generateSet(small);
    if (big.count > 0) await generateSet(big);
    return;
  }
  if (!opts.work) throw new Error('--work is missing');
  rss.start();
  const result =
    part === 'ocellus'
      ? await ocellusPart(small, big, opts.work)
      : await referencePart(small, big, opts.work);
  rss.stop();
  await new Promise<void>((resolve, reject) =>
    process.send
      ? process.send(result, (err: Error | null) => (err ? reject(err) : resolve()))
      : resolve(),
  );
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const small = imageSet(opts.data, 'small', opts.n);
  const big = imageSet(opts.data, 'big', opts.big);
  if (opts.part) return child(opts, opts.part, small, big);

  const genStart = performance.now();
  if (!isComplete(small) || (big.count > 0 && !isComplete(big))) {
    await runPart('generate', opts, null);
  }
  const generationMs = performance.now() - genStart;
  log(`test images ready in ${secs(generationMs)} (generation is not timed)`);

  const runStart = performance.now();
  const loadStart = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const smallFiles = setFiles(small);
  const bigFiles = big.count > 0 ? setFiles(big) : [];
  const smallBytes = await warmPageCache(smallFiles);
  const bigBytes = await warmPageCache(bigFiles);
  log(
    `page cache warmed: ${smallFiles.length} files ${mb(smallBytes)} (avg ${(smallBytes / smallFiles.length / 1024).toFixed(0)} kB)` +
      (bigFiles.length ? `, ${bigFiles.length} big ${mb(bigBytes)}` : ''),
  );

  // A fresh project each run; Ocellus first, then the reference, each in its own process.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bench-run-'));
  const oc = await runPart<OcellusPart>('ocellus', opts, work);
  const ref = await runPart<ReferencePart>('reference', opts, work);
  const runMs = performance.now() - runStart;
  const ocSmall = oc.small;
  const ocBig = oc.big;
  const {
    index: refIndex,
    thumbs: refThumbs,
    bigIndex: refBigIndex,
    bigThumbs: refBigThumbs,
  } = ref;
  const { project, cache } = oc;

  // --- Results
  const p = ocSmall.phases;
  const ocIndexRate = rate(p.read?.items ?? 0, p.read?.seconds);
  const ocThumbRate = rate(p.thumbs?.items ?? 0, p.thumbs?.seconds);
  const ocBigThumbRate = ocBig
    ? rate(ocBig.phases.thumbs?.items ?? 0, ocBig.phases.thumbs?.seconds)
    : null;
  const ocBigIndexRate = ocBig
    ? rate(ocBig.phases.read?.items ?? 0, ocBig.phases.read?.seconds)
    : null;
  const refIndexRate = rate(refIndex.items, refIndex.seconds);
  const refThumbRate = rate(refThumbs.items, refThumbs.seconds);
  const refBigThumbRate = refBigThumbs ? rate(refBigThumbs.items, refBigThumbs.seconds) : null;
  const refBigIndexRate = refBigIndex ? rate(refBigIndex.items, refBigIndex.seconds) : null;
  const busy = (s: Span | null | undefined) =>
    s ? `${s.cores.toFixed(2)} cores, loop ${(s.eventLoop * 100).toFixed(0)}%` : '–';
  const cpuMs = (s: Span | null | undefined, items: number | undefined) =>
    s && items ? (s.cores * s.seconds * 1000) / items : null;
  const fmtMs = (x: number | null) => (x === null ? '–' : `${x.toFixed(1)} ms`);
  /** The two lines under a rate: CPU time per image, and how busy the cores and the loop were. */
  const cost = (oc: Phase | undefined, ref: RefResult | null): string[][] => {
    const a = cpuMs(oc, oc?.items);
    const b = cpuMs(ref, ref?.items);
    return [
      ['  CPU time per image', fmtMs(a), fmtMs(b), ratio(a, b), ''],
      ['  cores busy, event loop busy', busy(oc), busy(ref), '', ''],
    ];
  };
  const nSmall = small.count.toLocaleString('en');

  const rows: string[][] = [
    ['what', 'Ocellus', 'plain reference', 'ratio', 'target'],
    [
      `scan ${nSmall} files (1024×768)`,
      p.scan ? `${p.scan.seconds.toFixed(2)} s` : '–',
      '–',
      '–',
      '',
    ],
    [
      `index 1024×768 (${nSmall})`,
      fmtRate(ocIndexRate),
      fmtRate(refIndexRate),
      ratio(ocIndexRate, refIndexRate),
      target(ocIndexRate, 500),
    ],
    ...cost(p.read, refIndex),
    [
      `thumbnails 1024×768 (${nSmall})`,
      fmtRate(ocThumbRate),
      fmtRate(refThumbRate),
      ratio(ocThumbRate, refThumbRate),
      '',
    ],
    ...cost(p.thumbs, refThumbs),
  ];
  if (ocBig) {
    rows.push(
      [
        `index 4000×3000 (${big.count})`,
        fmtRate(ocBigIndexRate),
        fmtRate(refBigIndexRate),
        ratio(ocBigIndexRate, refBigIndexRate),
        '',
      ],
      ...cost(ocBig.phases.read, refBigIndex),
      [
        `thumbnails 4000×3000 (${big.count})`,
        fmtRate(ocBigThumbRate),
        fmtRate(refBigThumbRate),
        ratio(ocBigThumbRate, refBigThumbRate),
        target(ocBigThumbRate, 40),
      ],
      ...cost(ocBig.phases.thumbs, refBigThumbs),
    );
  }
  const ocWall = ocSmall.wall.seconds + (ocBig?.wall.seconds ?? 0);
  const refWall =
    refIndex.seconds +
    refThumbs.seconds +
    (refBigIndex?.seconds ?? 0) +
    (refBigThumbs?.seconds ?? 0);
  rows.push(
    [
      'import wall time (all phases)',
      `${ocWall.toFixed(1)} s`,
      `${refWall.toFixed(1)} s`,
      ratio(ocWall, refWall),
      '',
    ],
    [
      'peak RSS (sampled every 100 ms)',
      mb(oc.peakRss),
      mb(ref.peakRss),
      ratio(oc.peakRss, ref.peakRss),
      '',
    ],
    [
      'maxRSS (process.resourceUsage)',
      mb(oc.maxRss),
      mb(ref.maxRss),
      ratio(oc.maxRss, ref.maxRss),
      '',
    ],
    ['  RSS when the part started', mb(oc.rssAtStart), mb(ref.rssAtStart), '', ''],
    ['project file + WAL (open)', `${mb(project.main)} + ${mb(project.wal)}`, '–', '', ''],
    ['project file after close', mb(project.afterClose), '–', '', ''],
    [
      'cache folder (thumbs + inputs)',
      `${mb(cache.thumbs.bytes)} + ${mb(cache.inputs.bytes)}`,
      `${mb(ref.thumbBytes)} thumbs only`,
      '',
      '',
    ],
  );

  const notes = [
    `ratio = Ocellus ÷ reference: for rates below 1 means Ocellus is slower; for times, CPU and sizes above 1 means Ocellus takes more. ` +
      `CPU time = user + system of the whole process. Load average ${loadStart} at start, ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} at end (other work on the machine skews wall times, less so CPU time). ` +
      `${os.cpus().length} CPUs, availableParallelism ${PARALLELISM}, sharp concurrency ${sharp.concurrency()}, UV_THREADPOOL_SIZE ${process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)'}.`,
    `Ocellus rates are per phase, timed from its job:updated events; the last phase (thumbnails) runs until the job ends, which includes regrouping sequences (${(oc.regroupSeconds * 1000).toFixed(0)} ms when run alone for ${nSmall} images).`,
    `The thumbnail reference writes only a 256 px WebP (default effort); Ocellus reads each file once and writes a 256 px WebP (effort 0) AND the exact network input (224×224 centre crop, lossless PNG), each decoded from that buffer with shrink-on-load.`,
    `The index reference runs exifr.parse(buf) with default options on the whole file; Ocellus parses the EXIF block sharp found. Both hash the whole file with sha256.`,
    `Project opened with watch: false (no chokidar watcher), as the CLI does. Page cache warmed before timing; Ocellus ran first, then the reference, each in its own child process (so RSS and maxRSS are each side's own).`,
    `Generation ${secs(generationMs)} (0 when cached), benchmark run ${secs(runMs)}.`,
  ];

  const result = {
    n: small.count,
    big: big.count,
    data: opts.data,
    parallelism: PARALLELISM,
    generationSeconds: generationMs / 1000,
    runSeconds: runMs / 1000,
    rates: {
      ocellus: {
        index: ocIndexRate,
        thumbs: ocThumbRate,
        bigIndex: ocBigIndexRate,
        bigThumbs: ocBigThumbRate,
      },
      reference: {
        index: refIndexRate,
        thumbs: refThumbRate,
        bigIndex: refBigIndexRate,
        bigThumbs: refBigThumbRate,
      },
    },
    targets: {
      index: { min: 500, value: ocIndexRate, met: (ocIndexRate ?? 0) >= 500 },
      bigThumbs: { min: 40, value: ocBigThumbRate, met: (ocBigThumbRate ?? 0) >= 40 },
    },
    ocellus: oc,
    reference: ref,
    kept: opts.keep ? project.path : null,
  };

  if (opts.keep) log(`project kept: ${project.path} (cache ${cache.dir})`);
  else fs.rmSync(work, { recursive: true, force: true });

  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else
    process.stdout.write(
      `\n${table(rows, { lastLeft: false })}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`,
    );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
