import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../../../src/shared/types';
import type { OcellusService } from '../../../../../src/main/core/service';
import { parseCsv } from '../../../../../src/main/core/export/csv';
import { validateCamtrapDp } from '../../../../helpers/camtrap-validator';
import { writeJpeg, writeTextAsJpeg, writeTruncatedJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService, jobFinished as finished } from '../../../../helpers/service';

async function exportDataset(
  service: OcellusService,
  options: Parameters<OcellusService['api']['export']['dataset']>[0],
): Promise<JobInfo> {
  const job = await service.api.export.dataset(options);
  return finished(service, job);
}

function readCsv(file: string): Record<string, string>[] {
  const [header = [], ...rows] = parseCsv(fs.readFileSync(file, 'utf8'));
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

describe('dataset exports', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;
  beforeEach(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    // Two cameras, bursts 5 s apart, one with GPS; the same file name in two folders of one class.
    const shot = (
      cls: string,
      sub: string,
      name: string,
      time: string,
      serial: string,
      gps?: boolean,
    ) =>
      writeJpeg(path.join(photos, cls, sub, name), {
        width: 24,
        height: 16,
        color: cls === 'fox' ? '#c05020' : cls === 'empty' ? '#808080' : '#203080',
        exif: {
          DateTimeOriginal: time,
          Make: 'Cam',
          Model: 'T1',
          BodySerialNumber: serial,
          ...(gps ? { GPSLatitude: 50.5, GPSLongitude: 4.25 } : {}),
        },
      });
    await shot('fox', 'a', '1.jpg', '2024:05:01 10:00:00', 'S1', true);
    await shot('fox', 'a', '2.jpg', '2024:05:01 10:00:05', 'S1', true);
    await shot('fox', 'b', '1.jpg', '2024:05:02 22:00:00', 'S2');
    await shot('badger', 'b', '3.jpg', '2024:05:03 23:00:00', 'S2');
    await shot('empty', 'a', '4.jpg', '2024:05:04 12:00:00', 'S1', true);
    await writeTextAsJpeg(path.join(photos, 'fox', 'a', 'broken.jpg'));
    await writeTruncatedJpeg(path.join(photos, 'badger', 'b', 'cut.jpg'), 64, 48);
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus'), name: 'Fox study' });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('writes labels.csv with every image, its labels, source, sequence, time and camera', async () => {
    const out = path.join(t.dir, 'csv');
    const job = await exportDataset(t.service, { format: 'csv', out });
    expect(job.state).toBe('done');
    const rows = readCsv(path.join(out, 'labels.csv'));
    expect(rows).toHaveLength(7);
    const fox = rows.find((r) => r['path'] === path.join(photos, 'fox', 'a', '2.jpg'));
    expect(fox).toMatchObject({
      label: 'fox',
      source: 'human',
      capture_time: '2024-05-01 10:00:05',
      camera: 'Cam T1 S1',
      status: 'ok',
    });
    expect(fox?.['sequence']).not.toBe('');
    const first = rows.find((r) => r['path'] === path.join(photos, 'fox', 'a', '1.jpg'));
    expect(first?.['sequence']).toBe(fox?.['sequence']);
    expect(rows.find((r) => r['path']?.endsWith('broken.jpg'))?.['status']).toBe('broken');
    const history = await t.service.api.export.history();
    expect(history[0]).toMatchObject({ kind: 'csv', state: 'done', path: out });
  });

  it('writes ImageFolder under all/ without a run, renames clashes, skips broken images', async () => {
    const out = path.join(t.dir, 'if');
    const job = await exportDataset(t.service, {
      format: 'imagefolder',
      out,
      linkMode: 'hardlink',
    });
    expect(job.state).toBe('done');
    expect(fs.readdirSync(out)).toEqual(['all']);
    expect(fs.readdirSync(path.join(out, 'all')).sort()).toEqual(['badger', 'empty', 'fox']);
    expect(fs.readdirSync(path.join(out, 'all', 'fox')).sort()).toEqual([
      '1-2.jpg',
      '1.jpg',
      '2.jpg',
    ]);
    expect(fs.readdirSync(path.join(out, 'all', 'badger'))).toEqual(['3.jpg']);
    // Hard links: the same inode as the original.
    expect(fs.statSync(path.join(out, 'all', 'badger', '3.jpg')).ino).toBe(
      fs.statSync(path.join(photos, 'badger', 'b', '3.jpg')).ino,
    );
    await expect(
      t.service.api.export.dataset({ format: 'imagefolder', out }),
    ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('writes a Camtrap DP 1.0 package that validates against the published schemas', async () => {
    const mapping = await t.service.api.export.camtrapMapping();
    expect(mapping.find((m) => m.className === 'empty')?.observationType).toBe('blank');
    await t.service.api.export.setCamtrapMapping([
      { className: 'fox', observationType: 'animal', scientificName: 'Vulpes vulpes' },
    ]);
    const out = path.join(t.dir, 'camtrap');
    const job = await exportDataset(t.service, {
      format: 'camtrap-dp',
      out,
      deploymentsBy: 'camera',
      timezone: '+02:00',
    });
    expect(job.state).toBe('done');
    expect(validateCamtrapDp(out)).toEqual([]);
    const deployments = readCsv(path.join(out, 'deployments.csv'));
    expect(deployments).toHaveLength(2);
    const s1 = deployments.find((d) => d['cameraID'] === 'S1');
    expect(s1).toMatchObject({ latitude: '50.5', longitude: '4.25' });
    expect(s1?.['deploymentStart']).toBe('2024-05-01T10:00:00+02:00');
    const media = readCsv(path.join(out, 'media.csv'));
    expect(media).toHaveLength(5); // The two unreadable images are left out, not fatal.
    const obs = readCsv(path.join(out, 'observations.csv'));
    // One way of writing times throughout: an offset, never "Z" beside "+02:00".
    const times = [
      ...media.map((m) => m['timestamp']),
      ...obs.map((o) => o['classificationTimestamp']).filter(Boolean),
    ];
    expect(times.length).toBeGreaterThan(media.length);
    for (const t of times) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    const foxes = obs.filter((o) => o['scientificName'] === 'Vulpes vulpes');
    // The burst of two is one event; the third fox is another.
    expect(foxes).toHaveLength(2);
    expect(foxes[0]).toMatchObject({
      observationType: 'animal',
      classificationMethod: 'human',
      observationLevel: 'event',
    });
    expect(
      obs.find((o) => o['observationComments'] === 'Ocellus class: empty')?.['observationType'],
    ).toBe('blank');
    const pkg = JSON.parse(fs.readFileSync(path.join(out, 'datapackage.json'), 'utf8')) as {
      taxonomic: { scientificName: string }[];
      temporal: { start: string; end: string };
    };
    expect(pkg.taxonomic.map((x) => x.scientificName)).toEqual(['Vulpes vulpes', 'badger']);
    expect(pkg.temporal).toEqual({ start: '2024-05-01', end: '2024-05-04' });
  });

  it('the validator catches a broken package (it can fail)', async () => {
    const out = path.join(t.dir, 'bad');
    await exportDataset(t.service, { format: 'camtrap-dp', out });
    const file = path.join(out, 'observations.csv');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(',event,', ',burst,'));
    const media = path.join(out, 'media.csv');
    fs.writeFileSync(media, fs.readFileSync(media, 'utf8').replace(/root-1,/, 'nowhere,'));
    const errors = validateCamtrapDp(out);
    expect(errors.some((e) => /observationLevel=burst not in enum/.test(e))).toBe(true);
    expect(errors.some((e) => /deploymentID nowhere not in deployments/.test(e))).toBe(true);
  });

  it('round trip: CSV export, import into a new project, same labels; one undo; unknown paths reported', async () => {
    const out = path.join(t.dir, 'rt');
    await exportDataset(t.service, { format: 'csv', out });
    const file = path.join(out, 'labels.csv');
    fs.appendFileSync(file, `${path.join(photos, 'nope.jpg')},fox\nfox/a/2.jpg,fox\n`);
    const labelsOf = async (service: OcellusService) => {
      const page = await service.api.library.listImages({
        filter: {},
        sort: 'path',
        offset: 0,
        limit: 100,
      });
      return Object.fromEntries(page.items.map((im) => [im.relPath, im.classIds.length]));
    };
    const namesOf = async (service: OcellusService) => {
      const classes = await service.api.labels.classes();
      const page = await service.api.library.listImages({
        filter: {},
        sort: 'path',
        offset: 0,
        limit: 100,
      });
      return Object.fromEntries(
        page.items.map((im) => [
          im.relPath,
          im.classIds.map((id) => classes.find((c) => c.id === id)?.name).sort(),
        ]),
      );
    };
    const other = makeTestService();
    try {
      await other.service.api.project.create({ path: path.join(other.dir, 'q.ocellus') });
      await other.service.api.library.addRoot(photos);
      await other.service.whenIdle();
      expect(Object.values(await labelsOf(other.service)).every((n) => n === 0)).toBe(true);
      const result = await other.service.api.export.importLabels(file);
      expect(result.unknown).toEqual([{ line: 9, path: path.join(photos, 'nope.jpg') }]);
      expect(result.createdClasses.sort()).toEqual(['badger', 'empty', 'fox']);
      expect(await namesOf(other.service)).toEqual(await namesOf(t.service));
      await other.service.api.labels.undo();
      expect(Object.values(await labelsOf(other.service)).every((n) => n === 0)).toBe(true);
    } finally {
      await other.cleanup();
    }
  });
});
