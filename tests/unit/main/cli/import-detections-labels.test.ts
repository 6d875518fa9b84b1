import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../src/main/cli/run-cli';
import type { Detection } from '../../../../src/shared/types';
import { writeBoxScenes, type Scene } from '../../../helpers/box-scenes';
import { makeTestService } from '../../../helpers/service';

/** MegaDetector batch output for the scenes: each object a box classified by its kind. */
function mdFile(scenes: readonly Scene[], conf: number) {
  return {
    info: { detector: 'verified-by-timelapse', format_version: '1.4' },
    detection_categories: { '1': 'animal', '2': 'person', '3': 'vehicle' },
    classification_categories: { '0': 'disc', '1': 'square' },
    images: scenes.map((s) => ({
      file: s.file,
      detections: s.objects.map((o) => ({
        category: '1',
        conf: 0.9,
        bbox: o.box,
        classifications: [[o.kind === 'disc' ? '0' : '1', conf]],
      })),
    })),
  };
}

/**
 * `ocellus import-detections --labels`: a verified file's classifications become people's box
 * labels (confirmed, no classifier confidence), as one action that undo takes back; without
 * --labels they stay suggestions.
 */
describe('import-detections --labels', () => {
  let t: ReturnType<typeof makeTestService>;
  let project: string;
  let scenes: Scene[];
  const allBoxes = async (): Promise<Detection[]> => {
    const page = await t.service.api.library.listImages({ limit: 100 });
    const lists = await Promise.all(page.items.map((i) => t.service.api.detect.boxes(i.id)));
    return lists.flat();
  };
  beforeAll(async () => {
    t = makeTestService();
    scenes = await writeBoxScenes(path.join(t.dir, 'scenes'), 3);
    project = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: project });
    await t.service.api.library.addRoot(path.join(t.dir, 'scenes'));
    await t.service.whenIdle();
    await t.service.api.project.close();
    // The CLI keeps its state beside the test service's, never in the user's folder.
    process.env['OCELLUS_APP_DATA'] = path.join(t.dir, 'appdata');
  }, 60_000);
  afterAll(async () => {
    delete process.env['OCELLUS_APP_DATA'];
    await t.cleanup();
  });

  it('takes the file’s classes as box labels in one undoable batch', async () => {
    const file = path.join(t.dir, 'verified.json');
    fs.writeFileSync(file, JSON.stringify(mdFile(scenes, 0.97)));
    let out = '';
    const code = await runCli(['import-detections', project, file, '--labels', '--json'], {
      stdout: (s) => (out += s),
      stderr: () => {},
    });
    expect(code).toBe(0);
    const objects = scenes.reduce((n, s) => n + s.objects.length, 0);
    expect(JSON.parse(out)).toMatchObject({ boxes: objects, labelled: objects, unmatched: [] });

    await t.service.api.project.open(project);
    const classes = await t.service.api.labels.classes();
    const nameOf = new Map(classes.map((c) => [c.id, c.name]));
    const boxes = await allBoxes();
    expect(boxes).toHaveLength(objects);
    for (const b of boxes) {
      expect(b.status).toBe('confirmed');
      expect(b.classConf).toBeNull();
      expect(b.classId === null ? null : nameOf.get(b.classId)).toMatch(/^(disc|square)$/);
    }
    const kinds = scenes.flatMap((s) => s.objects.map((o) => o.kind)).sort();
    expect(boxes.map((b) => nameOf.get(b.classId ?? -1)).sort()).toEqual(kinds);

    // One action: a single undo takes every box back to the file's unverified state.
    await t.service.api.labels.undo();
    const undone = await allBoxes();
    expect(undone.every((b) => b.status === 'pending')).toBe(true);
    expect(await t.service.api.labels.undo()).toBeNull();
    await t.service.api.project.close();
  }, 60_000);

  it('keeps the classes as suggestions without --labels', async () => {
    const file = path.join(t.dir, 'suggested.json');
    fs.writeFileSync(file, JSON.stringify({ ...mdFile(scenes, 0.6), info: { detector: 'md' } }));
    let out = '';
    const code = await runCli(['import-detections', project, file], {
      stdout: (s) => (out += s),
      stderr: () => {},
    });
    expect(code).toBe(0);
    expect(out).not.toMatch(/box labels/);
    await t.service.api.project.open(project);
    const imported = (await allBoxes()).filter((b) => b.detector === 'import:md');
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.every((b) => b.classConf === 0.6 && b.status === 'pending')).toBe(true);
    await t.service.api.project.close();
  }, 60_000);

  it('says --labels in its help', async () => {
    let out = '';
    await runCli(['import-detections', '--help'], { stdout: (s) => (out += s), stderr: () => {} });
    expect(out).toMatch(/--labels/);
  });
});
