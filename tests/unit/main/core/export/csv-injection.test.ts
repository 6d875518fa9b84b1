/**
 * Spreadsheet formula injection: class names and file names starting with =, +, -, @ were
 * written as they are into labels.csv, predictions and Camtrap DP tables. Every text cell
 * is neutralised now; numbers (negative coordinates, probabilities) stay numbers; the label
 * import reverses it, and a ';' inside a quoted label is not a separator.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvLine, parseCsvRecords } from '../../../../../src/shared/csv';
import { predictionLine, predictionsHeader } from '../../../../../src/main/core/export/predict';
import { validateCamtrapDp } from '../../../../helpers/camtrap-validator';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { jobFinished, makeTestService } from '../../../../helpers/service';

const FORMULA = /^[=+\-@\t\r]/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Every cell of a CSV text that a spreadsheet would run as a formula. */
function formulaCells(text: string): string[] {
  return parseCsvRecords(text)
    .flatMap((r) => r.fields)
    .filter((f) => FORMULA.test(f) && !NUMBER.test(f));
}

const HOSTILE_CLASSES = ['=HYPERLINK("x.example","y")', '+cmd', '-rm', '@SUM(A1)'];

describe('CSV formula injection', () => {
  let t: ReturnType<typeof makeTestService>;
  let photos: string;

  beforeEach(async () => {
    t = makeTestService();
    photos = path.join(t.dir, 'photos');
    for (const [i, cls] of HOSTILE_CLASSES.entries()) {
      await writeJpeg(path.join(photos, cls, `=evil${i}.jpg`), {
        width: 16,
        height: 16,
        color: `#${(i * 40 + 20).toString(16).padStart(2, '0')}4080`,
        exif: {
          DateTimeOriginal: `2024:05:0${i + 1} 10:00:00`,
          GPSLatitude: -33.9,
          GPSLongitude: -70.65,
        },
      });
    }
    await t.service.api.project.create({ path: path.join(t.dir, 'p.ocellus') });
    await t.service.api.library.addRoot(photos, { labelsFromFolders: true });
    await t.service.whenIdle();
  });
  afterEach(() => t.cleanup());

  it('labels.csv neutralises names and paths, and imports back to the same classes', async () => {
    const out = path.join(t.dir, 'csv');
    await jobFinished(t.service, await t.service.api.export.dataset({ format: 'csv', out }));
    const text = fs.readFileSync(path.join(out, 'labels.csv'), 'utf8');
    expect(formulaCells(text)).toEqual([]);
    expect(text).toContain("/-rm/=evil2.jpg,'-rm,human,");

    const other = makeTestService();
    try {
      await other.service.api.project.create({ path: path.join(other.dir, 'q.ocellus') });
      await other.service.api.library.addRoot(photos);
      await other.service.whenIdle();
      const result = await other.service.api.export.importLabels(path.join(out, 'labels.csv'));
      expect(result).toMatchObject({ labelled: 4, unknownCount: 0 });
      const names = (await other.service.api.labels.classes()).map((c) => c.name).sort();
      expect(names).toEqual([...HOSTILE_CLASSES].sort());
    } finally {
      await other.cleanup();
    }
  });

  it('a quoted label holding ";" is one class, an unquoted one two', async () => {
    const file = path.join(t.dir, 'mixed.csv');
    fs.writeFileSync(
      file,
      'path,label\n"+cmd/=evil1.jpg","Canis lupus; juvenile"\n@SUM(A1)/=evil3.jpg,fox;badger\n',
    );
    await t.service.api.labels.setLabelMode('multi');
    await t.service.api.export.importLabels(file);
    const names = (await t.service.api.labels.classes()).map((c) => c.name);
    expect(names).toContain('Canis lupus; juvenile');
    expect(names).not.toContain('Canis lupus');
    expect(names).toEqual(expect.arrayContaining(['fox', 'badger']));
  });

  it('Camtrap DP tables neutralise text, keep negative coordinates numeric and validate', async () => {
    const out = path.join(t.dir, 'camtrap');
    const job = await jobFinished(
      t.service,
      await t.service.api.export.dataset({ format: 'camtrap-dp', out }),
    );
    expect(job.state).toBe('done');
    expect(validateCamtrapDp(out)).toEqual([]);
    for (const table of ['deployments.csv', 'media.csv', 'observations.csv']) {
      expect(formulaCells(fs.readFileSync(path.join(out, table), 'utf8')), table).toEqual([]);
    }
    const deployments = fs.readFileSync(path.join(out, 'deployments.csv'), 'utf8');
    expect(deployments).toContain(',-33.9,-70.65,');
    expect(fs.readFileSync(path.join(out, 'observations.csv'), 'utf8')).toContain("'+cmd");
  });

  it('prediction rows and the renderer evaluation tables neutralise text, not numbers', () => {
    const text =
      predictionsHeader(['=a', 'b']) +
      predictionLine(
        { path: '@x.jpg', label: '=a', confidence: 0.75, probabilities: [0.75, 0.25], error: null },
        ['=a', 'b'],
      ) +
      predictionLine(
        { path: '-y.jpg', label: '', confidence: null, probabilities: null, error: '-bad' },
        ['=a', 'b'],
      );
    expect(formulaCells(text)).toEqual([]);
    expect(text).toContain(',0.75,0.75,0.25,');
    // The renderer's evaluation downloads (lib/download.ts toCsv) write their rows so.
    const evaluation = [
      ['class', 'delta'],
      ['=x', -0.5],
      ['+y', '-0.25'],
    ]
      .map((r) => csvLine(r, '\r\n'))
      .join('');
    expect(formulaCells(evaluation)).toEqual([]);
    expect(evaluation).toBe("class,delta\r\n'=x,-0.5\r\n'+y,-0.25\r\n");
  });

  it('CSV imports refuse FIFOs and devices at once instead of blocking on them', async () => {
    const fifo = path.join(t.dir, 'labels.csv');
    execFileSync('mkfifo', [fifo]);
    await expect(t.service.api.export.importLabels(fifo)).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    await expect(t.service.api.library.importMetadata(fifo)).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    await expect(t.service.api.export.importLabels('/dev/zero')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
  });
});
