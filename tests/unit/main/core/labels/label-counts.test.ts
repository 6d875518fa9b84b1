import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeJpeg } from '../../../../helpers/image-fixtures';
import { makeTestService } from '../../../../helpers/service';

/** The counts as a full scan of the project file gives them. */
function recount(file: string): { classes: number[]; unlabelled: number; readable: number } {
  const db = new Database(file, { readonly: true });
  try {
    const classes = (
      db
        .prepare(
          `SELECT (SELECT COUNT(*) FROM labels l JOIN images i ON i.id = l.image_id
                    WHERE l.class_id = c.id AND i.missing = 0) AS n
             FROM classes c ORDER BY c.sort_order, c.id`,
        )
        .all() as { n: number }[]
    ).map((r) => r.n);
    const { readable, unlabelled } = db
      .prepare(
        `SELECT COUNT(*) AS readable,
                COALESCE(SUM(NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id)), 0) AS unlabelled
           FROM images i WHERE i.status = 'ok' AND i.missing = 0`,
      )
      .get() as { readable: number; unlabelled: number };
    return { classes, unlabelled, readable };
  } finally {
    db.close();
  }
}

describe('label counters kept by each batch', () => {
  let t: ReturnType<typeof makeTestService>;
  let file: string;
  let ids: number[];

  beforeEach(async () => {
    t = makeTestService();
    const photos = path.join(t.dir, 'photos');
    for (let i = 0; i < 8; i++)
      await writeJpeg(path.join(photos, `${i}.jpg`), {
        width: 8,
        height: 8,
        color: { r: i * 30, g: 0, b: 0 },
      });
    file = path.join(t.dir, 'p.ocellus');
    await t.service.api.project.create({ path: file });
    await t.service.api.library.addRoot(photos);
    await t.service.whenIdle();
    ids = await t.service.api.library.imageIds({}, 'path');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('equal a full count after every action of a long random run, single and multi-label', async () => {
    const api = t.service.api;
    const classes = [
      (await api.labels.addClass('a')).id,
      (await api.labels.addClass('b')).id,
      (await api.labels.addClass('c')).id,
    ];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const some = () => ids.filter(() => rnd(3) === 0);
    for (let step = 0; step < 160; step++) {
      if (step === 80) await api.labels.setLabelMode('multi');
      const cls = classes[rnd(3)] as number;
      switch (rnd(6)) {
        case 0:
          await api.labels.assign(some(), cls, { replaceHuman: true });
          break;
        case 1:
          await api.labels.unassign(some(), cls, { replaceHuman: true });
          break;
        case 2:
          await api.labels.clear(some(), { replaceHuman: true });
          break;
        case 3:
          await api.labels.undo();
          break;
        case 4:
          await api.labels.redo();
          break;
        default:
          await api.labels.assign([ids[rnd(ids.length)] as number], cls, { replaceHuman: true });
      }
      const shown = await api.labels.counts();
      expect(
        {
          classes: shown.classes.map((c) => c.count),
          unlabelled: shown.unlabelled,
          readable: shown.readable,
        },
        `step ${step}`,
      ).toEqual(recount(file));
    }
    // A class merged away is counted again from scratch.
    await api.labels.mergeClasses(classes[0] as number, classes[1] as number);
    const after = await api.labels.counts();
    expect(after.classes.map((c) => c.count)).toEqual(recount(file).classes);
  });
});
