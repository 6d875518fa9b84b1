import crypto from 'node:crypto';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { CamtrapClassMapping } from '../../../shared/types';
import { OcellusError } from '../../../shared/errors';
import { ClassStore } from '../labels/class-store';
import { cameraKey } from '../library/sequences';
import { boxObservations } from './camtrap-boxes';
import { camtrapMapping } from './camtrap-mapping';
import {
  DEPLOYMENT_FIELDS,
  MEDIA_FIELDS,
  OBSERVATION_FIELDS,
  writeTable,
  type Row,
} from './camtrap-tables';
import { cameraName, exportImages, type ExportImage } from './export-data';
import { writeNewFile } from '../util/fs-atomic';
import { ensureOutDir } from './out-dir';

const VERSION_BASE = 'https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0';

export interface CamtrapOptions {
  /** One deployment per root folder, or per camera (serial, else folder). */
  deploymentsBy: 'root' | 'camera';
  /** UTC offset of the cameras' clocks, e.g. "+02:00" (EXIF times carry none). Default "+00:00". */
  timezone?: string;
  title?: string;
  contributor?: string;
  appVersion: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface CamtrapResult {
  deployments: number;
  media: number;
  observations: number;
  /** Images left out of media.csv (broken, unsupported), with why. */
  skipped: { path: string; reason: string }[];
  warnings: string[];
}

interface Medium {
  im: ExportImage;
  id: string;
  deploymentId: string;
  timestamp: string;
}

/**
 * Writes a Camtrap DP 1.0 package: datapackage.json, deployments.csv, media.csv and
 * observations.csv. Observations are per event (a sequence, or a lone image): one per class
 * seen in it (human labels outrank model ones), `unclassified` when nothing is labelled.
 */
export function writeCamtrapDp(
  db: Database.Database,
  outDir: string,
  projectName: string,
  opts: CamtrapOptions,
): CamtrapResult {
  const tz = normaliseOffset(opts.timezone ?? '+00:00');
  const mapping = new Map(camtrapMapping(db).map((m) => [m.className, m]));
  const all = exportImages(db);
  const result: CamtrapResult = {
    deployments: 0,
    media: 0,
    observations: 0,
    skipped: [],
    warnings: [],
  };
  const media: Medium[] = [];
  let noTime = 0;
  for (const im of all) {
    if (im.status !== 'ok') {
      result.skipped.push({ path: im.file, reason: `${im.status}: ${im.error ?? ''}`.trim() });
      continue;
    }
    let timestamp: string;
    if (im.takenAt) timestamp = `${im.takenAt.replace(' ', 'T')}${tz}`;
    else {
      noTime++;
      timestamp = isoSeconds(new Date(im.mtimeMs ?? 0));
    }
    const deploymentId =
      opts.deploymentsBy === 'camera'
        ? `cam-${shortHash(cameraKey(im.rootId, im.relPath, im.cameraMake, im.cameraModel, im.cameraSerial))}`
        : `root-${im.rootId}`;
    media.push({ im, id: `img-${im.id}`, deploymentId, timestamp });
  }
  if (noTime > 0)
    result.warnings.push(
      `${noTime} image(s) have no capture time in EXIF: their file time (UTC) is used`,
    );

  ensureOutDir(outDir);
  const deployments = writeDeployments(outDir, media, opts.deploymentsBy, result);
  writeMedia(outDir, media);
  result.media = media.length;
  const taxa = writeObservations(outDir, media, mapping, result, opts, (firstId) =>
    boxObservations(db, boxMedia(media), mapping, classNames(db), firstId),
  );
  writePackage(outDir, projectName, opts, media, deployments, taxa);
  return result;
}

interface Deployment {
  id: string;
  lat: number;
  lon: number;
  start: string;
  end: string;
}

function writeDeployments(
  outDir: string,
  media: Medium[],
  by: CamtrapOptions['deploymentsBy'],
  result: CamtrapResult,
): Deployment[] {
  const groups = new Map<string, Medium[]>();
  for (const m of media) groups.set(m.deploymentId, [...(groups.get(m.deploymentId) ?? []), m]);
  const out: Deployment[] = [];
  const rows: Row[] = [];
  for (const [id, list] of groups) {
    const first = list[0]!.im;
    const lats = list.flatMap((m) => (m.im.gpsLat === null ? [] : [m.im.gpsLat]));
    const lons = list.flatMap((m) => (m.im.gpsLon === null ? [] : [m.im.gpsLon]));
    const known = lats.length > 0 && lons.length > 0;
    if (!known)
      result.warnings.push(
        `Deployment ${id} has no GPS in its images: latitude/longitude are written as 0 (edit deployments.csv)`,
      );
    const times = list.map((m) => m.timestamp).sort((a, b) => Date.parse(a) - Date.parse(b));
    const d: Deployment = {
      id,
      lat: known ? median(lats) : 0,
      lon: known ? median(lons) : 0,
      start: times[0]!,
      end: times[times.length - 1]!,
    };
    out.push(d);
    const folder = path.basename(first.rootPath);
    rows.push({
      deploymentID: id,
      locationID:
        by === 'root'
          ? folder
          : (first.cameraSerial ?? `${folder}/${path.posix.dirname(first.relPath)}`),
      locationName: by === 'root' ? folder : cameraName(first) || path.posix.dirname(first.relPath),
      latitude: round(d.lat),
      longitude: round(d.lon),
      deploymentStart: d.start,
      deploymentEnd: d.end,
      cameraID: first.cameraSerial,
      cameraModel: [first.cameraMake, first.cameraModel].filter(Boolean).join(' ') || null,
      deploymentComments: known ? null : 'Coordinates unknown: no GPS in the images',
    });
  }
  writeTable(path.join(outDir, 'deployments.csv'), DEPLOYMENT_FIELDS, rows);
  result.deployments = out.length;
  return out;
}

const MEDIATYPES: Record<string, string> = {
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  tiff: 'image/tiff',
  tif: 'image/tiff',
  gif: 'image/gif',
  avif: 'image/avif',
  heif: 'image/heif',
};

function writeMedia(outDir: string, media: Medium[]): void {
  const rows: Row[] = [];
  for (const m of media) {
    const ext = path.extname(m.im.relPath).slice(1).toLowerCase();
    const type = MEDIATYPES[m.im.format?.toLowerCase() ?? ''] ?? MEDIATYPES[ext] ?? 'image/jpeg';
    rows.push({
      mediaID: m.id,
      deploymentID: m.deploymentId,
      captureMethod: 'activityDetection',
      timestamp: m.timestamp,
      // Relative to the folder holding the root: the spec wants no leading ./ / ~ and no ..
      filePath: `${safeSegment(path.basename(m.im.rootPath))}/${m.im.relPath}`,
      filePublic: false,
      fileName: path.posix.basename(m.im.relPath),
      fileMediatype: type,
    });
  }
  writeTable(path.join(outDir, 'media.csv'), MEDIA_FIELDS, rows);
}

function writeObservations(
  outDir: string,
  media: Medium[],
  mapping: Map<string, CamtrapClassMapping>,
  result: CamtrapResult,
  opts: CamtrapOptions,
  boxes: (firstId: number) => { rows: Row[]; taxa: string[] },
): string[] {
  const events = new Map<string, Medium[]>();
  for (const m of media) {
    const key = m.im.sequenceId !== null ? `seq-${m.im.sequenceId}` : `img-${m.im.id}`;
    events.set(key, [...(events.get(key) ?? []), m]);
  }
  const taxa = new Set<string>();
  const rows: Row[] = [];
  let n = 0;
  let done = 0;
  for (const [eventId, list] of events) {
    if (opts.signal?.aborted) break;
    const times = list.map((m) => m.timestamp).sort((a, b) => Date.parse(a) - Date.parse(b));
    const labels = list.flatMap((m) => m.im.labels);
    const human = labels.filter((l) => l.source === 'human');
    const used = human.length > 0 ? human : labels;
    const byClass = new Map<string, typeof used>();
    for (const l of used) byClass.set(l.className, [...(byClass.get(l.className) ?? []), l]);
    const deploymentId = list[0]!.deploymentId;
    const base: Row = {
      deploymentID: deploymentId,
      eventID: eventId,
      eventStart: times[0],
      eventEnd: times[times.length - 1],
      observationLevel: 'event',
    };
    if (byClass.size === 0) {
      rows.push({ observationID: `obs-${++n}`, ...base, observationType: 'unclassified' });
    }
    for (const [className, ls] of byClass) {
      const map = mapping.get(className);
      const type = map?.observationType ?? 'animal';
      const sci =
        type === 'animal' ? (map?.scientificName ?? className) : (map?.scientificName ?? '');
      if (sci) taxa.add(sci);
      const machine = ls.every((l) => l.source === 'model');
      const probs = ls.flatMap((l) => (l.confidence === null ? [] : [l.confidence]));
      const runs = [...new Set(ls.flatMap((l) => (l.runId === null ? [] : [l.runId])))];
      const latest = ls
        .map((l) => l.createdAt)
        .sort()
        .at(-1);
      rows.push({
        observationID: `obs-${++n}`,
        ...base,
        observationType: type,
        scientificName: sci || null,
        classificationMethod: machine ? 'machine' : 'human',
        classifiedBy: machine ? `Ocellus model run ${runs.join(', ')}`.trim() : 'Ocellus user',
        classificationTimestamp: latest ? isoSeconds(new Date(latest)) : null,
        classificationProbability: machine && probs.length ? round(Math.max(...probs), 6) : null,
        observationComments: `Ocellus class: ${className}`,
      });
    }
    done += list.length;
    opts.onProgress?.(done, media.length);
  }
  const perBox = boxes(n);
  rows.push(...perBox.rows);
  for (const t of perBox.taxa) taxa.add(t);
  writeTable(path.join(outDir, 'observations.csv'), OBSERVATION_FIELDS, rows);
  result.observations = n + perBox.rows.length;
  return [...taxa].sort();
}

function writePackage(
  outDir: string,
  projectName: string,
  opts: CamtrapOptions,
  media: Medium[],
  deployments: Deployment[],
  taxa: string[],
): void {
  const lats = deployments.map((d) => d.lat);
  const lons = deployments.map((d) => d.lon);
  const [w, s, e, n] = lats.length
    ? [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)]
    : [0, 0, 0, 0];
  const times = media.map((m) => m.timestamp.slice(0, 10)).sort();
  const today = new Date().toISOString().slice(0, 10);
  const resource = (name: string) => ({
    name,
    path: `${name}.csv`,
    profile: 'tabular-data-resource',
    format: 'csv',
    mediatype: 'text/csv',
    encoding: 'utf-8',
    schema: `${VERSION_BASE}/${name}-table-schema.json`,
  });
  const pkg = {
    resources: [resource('deployments'), resource('media'), resource('observations')],
    profile: `${VERSION_BASE}/camtrap-dp-profile.json`,
    name: slug(projectName),
    id: crypto.randomUUID(),
    created: isoSeconds(new Date()),
    title: opts.title ?? projectName,
    contributors: [{ title: opts.contributor ?? 'Ocellus user', role: 'contact' }],
    description: 'Exported from Ocellus (image labelling and transfer learning).',
    sources: [{ title: 'Ocellus', version: opts.appVersion }],
    project: {
      title: opts.title ?? projectName,
      samplingDesign: 'opportunistic',
      captureMethod: ['activityDetection'],
      individualAnimals: false,
      observationLevel: ['event', 'media'],
    },
    spatial: {
      type: 'Polygon',
      bbox: [w, s, e, n],
      coordinates: [
        [
          [w, s],
          [e, s],
          [e, n],
          [w, n],
          [w, s],
        ],
      ],
    },
    temporal: { start: times[0] ?? today, end: times[times.length - 1] ?? today },
    taxonomic: taxa.map((scientificName) => ({ scientificName })),
  };
  writeNewFile(path.join(outDir, 'datapackage.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}

/** "+2", "+02:00", "-0530", "Z" → "+02:00" style; anything else is UTC. */
/**
 * A UTC offset as ISO 8601 writes it (+02:00), from +2, +0200, -05:30, Z or UTC; anything
 * else (a name, 25:00, +99:99) is refused rather than written as +00:00 or as a bad time.
 */
export function normaliseOffset(tz: string): string {
  const t = tz.trim();
  if (t === 'Z' || t.toUpperCase() === 'UTC') return '+00:00';
  const m = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(t);
  const hours = Number(m?.[2]);
  const minutes = Number(m?.[3] ?? 0);
  if (!m || hours > 14 || minutes > 59 || (hours === 14 && minutes > 0))
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `The time zone "${tz}" is not a UTC offset: write it like +02:00, -05:30 or Z`,
    );
  return `${m[1]}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

/** An instant in UTC, written with "+00:00" as the EXIF times' offset is (it mixed in "Z"). */
function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}+00:00`;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function round(v: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function shortHash(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex').slice(0, 10);
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'ocellus-export'
  );
}

function safeSegment(s: string): string {
  const clean = s.replace(/^[./~]+/, '');
  return clean === '' ? 'images' : clean;
}

/** The media as box observations need them: event of each (its sequence, or itself). */
function boxMedia(media: Medium[]) {
  return media.map((m) => ({
    imageId: m.im.id,
    mediaId: m.id,
    deploymentId: m.deploymentId,
    eventId: m.im.sequenceId !== null ? `seq-${m.im.sequenceId}` : `img-${m.im.id}`,
    timestamp: m.timestamp,
  }));
}

/** Class id → name. */
function classNames(db: Database.Database): Map<number, string> {
  return new Map(new ClassStore(db).list().map((c) => [c.id, c.name]));
}
