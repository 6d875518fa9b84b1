/**
 * The model card, the reporting checklist and the bundle's page count what the run counts:
 * images for an image run, boxes for a box run, never one word for the other.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrainUnit } from '../../../../../src/shared/types';
import { bundlePage, type BundlePageInput } from '../../../../../src/main/core/export/bundle-page';
import { modelCard, type ModelCardInput } from '../../../../../src/main/core/export/model-card';
import {
  checklistItems,
  checklistSection,
} from '../../../../../src/main/core/export/reporting-checklist';
import { ProjectStore } from '../../../../../src/main/core/store/project-store';
import { makeTmpDir } from '../../../../helpers/tmp-dir';
import { runSummary as run } from '../../../../helpers/run-summary';

const tmp = makeTmpDir();
const store = ProjectStore.create(path.join(tmp.dir, 'cards.ocellus'), { appVersion: 'test' });
afterAll(() => {
  store.close();
  tmp.cleanup();
});

const ONNX = {
  file: 'model.onnx',
  input: 'input',
  output: 'probabilities',
  layout: 'NHWC',
  shape: [null, 224, 224, 3],
  opset: 13,
  maxAbsDiffFromTfjs: 1e-6,
} as const;

function texts(
  unit: TrainUnit,
  onnx: ModelCardInput['onnx'] = { file: null, reason: 'not converted in this test' },
): { card: string; checklist: string; page: string } {
  const r = run(unit);
  const metrics = { images: 31, accuracy: 0.8, perClass: [], confusion: [] };
  const checklist = checklistSection(
    checklistItems(store.db, { run: r, metrics, baseName: 'MobileNetV2' }),
  );
  const card = modelCard({
    run: r,
    projectName: 'Traps',
    baseName: 'MobileNetV2',
    baseId: 'mobilenet-v2',
    licence: 'Apache-2.0',
    featureLayer: 'out_relu',
    preprocessing: {
      inputSize: [224, 224],
      resize: 'squash',
      normalization: { kind: 'range', min: -1, max: 1 },
    },
    metrics,
    onnx,
    appVersion: 'test',
    created: '2026-06-01T10:02:00.000Z',
    checklist,
  });
  const page = bundlePage(pageInput(unit));
  return { card, checklist, page };
}

function pageInput(unit: TrainUnit): BundlePageInput {
  return {
    run: run(unit),
    projectName: 'Traps',
    baseName: 'MobileNetV2',
    licence: 'Apache-2.0',
    appVersion: 'test',
    created: '2026-06-01T10:02:00.000Z',
  };
}

/** Every count followed (within two words) by the given unit, e.g. "31 validation images". */
const counted = (unit: string) => new RegExp(`\\b\\d+(?: [a-z]+){0,2} ${unit}\\b`, 'g');

describe('the unit a model card counts', () => {
  it('is boxes for a box run: every count, refit, interval, warning and the page', () => {
    const { card, checklist, page } = texts('box');
    expect(card.match(counted('images'))).toBeNull();
    expect(checklist.match(counted('images'))).toBeNull();
    expect(page.match(counted('images'))).toBeNull();
    expect(card).toContain('124 training and 31 validation boxes');
    expect(card).toContain('Recomputed on 31 validation boxes');
    expect(card).toContain('| class | precision | recall | F1 | boxes |');
    expect(card).toContain('trained again on **all 155 labelled boxes**');
    expect(card).toContain('31 validation boxes)');
    expect(card).toContain('**fox** has only 8 labelled boxes');
    expect(card).toContain('The validation set is small (31 boxes)');
    expect(card).toContain('2 boxes whose crop has no embedding');
    expect(card).toMatch(/^Classifier of detected boxes/m);
    expect(checklist).toContain('155 labelled boxes (their crops) were used');
    expect(checklist).toContain('refit on all 155 labelled boxes');
    expect(checklist).toContain('on 31 boxes');
    expect(page).toContain('on 31 boxes');
    expect(page).toContain('124 boxes');
    // The page does not detect: it says to drop crops, and how whole photos are handled.
    expect(page).toContain('data-testid="box-note"');
    expect(page).toContain('<strong>Drop crops here</strong>');
    expect(page).toContain('This bundle has no detector');
    const detecting = bundlePage({ ...pageInput('box'), detector: { threshold: 0.2 } });
    expect(detecting).toContain('they use the detector in this bundle');
  });

  it('is images for an image run, with no box in its counts', () => {
    const { card, checklist, page } = texts('image');
    expect(card.match(counted('boxes'))).toBeNull();
    expect(checklist.match(counted('boxes'))).toBeNull();
    expect(card).toContain('124 training and 31 validation images');
    expect(card).toContain('trained again on **all 155 labelled images**');
    expect(card).toContain('**fox** has only 8 labelled images');
    expect(card).toContain('Left out: 17 unlabelled,\n5 unreadable, 2 without an embedding.');
    expect(card).toMatch(/^Image classifier exported/m);
    expect(checklist).toContain('17 unlabelled and 5 unreadable images were left out');
    expect(page).toContain('124 images');
    expect(page).not.toContain('box-note');
    expect(page).toContain('<strong>Drop images here</strong>');
  });

  it("cuts the box's crop in the card's Python snippet for a box run only", () => {
    const box = texts('box', { ...ONNX, shape: [null, 224, 224, 3] }).card;
    const image = texts('image', { ...ONNX, shape: [null, 224, 224, 3] }).card;
    expect(box).toContain('import io, json, math, numpy as np, onnxruntime as ort');
    expect(box).toContain('left = min(math.floor(snap(max(0.0, (x - 0.1 * w) * iw))), iw - 1)');
    expect(box).toMatch(
      /image = image\.crop\(\(left, top, right, bottom\)\)\nimage = resize\(image, W, H\)/,
    );
    expect(image).not.toContain('image.crop((left');
    // A whole picture is resized as stored, then turned upright by its EXIF orientation.
    expect(image).toContain('image = resize(image, W, H, orientation)');
    expect(image).toContain('orientation = image.getexif().get(0x0112, 1)');
    // A whole JPEG opens at the reduced size libvips decodes it at; a box is cut at full size.
    expect(image).toContain('image.draft(image.mode, size)');
    expect(box).not.toContain('image.draft');
    expect(image).toContain('import io, json, numpy as np, onnxruntime as ort');
  });
});
