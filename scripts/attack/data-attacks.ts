/**
 * Attacks on the data: kill -9 while labelling and while importing, a second process
 * writing the same project, a full disk and read-only media. Nothing acknowledged may be
 * lost and the project file must pass SQLite's integrity check every time.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { writeNoisyPhotos, writePhotos } from './context';
import { ApiClient, cli, importIdle, startServer, stopServer, type Tally } from './harness';

function integrityOk(project: string): boolean {
  const db = new Database(project, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) === 'ok';
  } finally {
    db.close();
  }
}

function labelsOf(project: string): Map<number, number> {
  const db = new Database(project, { readonly: true });
  try {
    const rows = db.prepare('SELECT image_id, class_id FROM labels').all() as {
      image_id: number;
      class_id: number;
    }[];
    return new Map(rows.map((r) => [r.image_id, r.class_id]));
  } finally {
    db.close();
  }
}

/** Labels images as fast as answers come, kills the server mid-stream, checks every answer. */
async function killWhileLabelling(root: string, project: string, tally: Tally, round: number) {
  const server = await startServer(root, project);
  const api = await ApiClient.connect(server);
  await importIdle(api);
  const classes = await api.must<{ id: number }[]>('labels.classes');
  const images = await api.must<{ items: { id: number; status: string }[] }>('library.listImages', [
    { limit: 5000 },
  ]);
  const ids = images.items.filter((i) => i.status === 'ok').map((i) => i.id);
  // Per image: the class of its last acknowledged label, and of calls still unanswered (the
  // kill may come before or after they commit; either is fine, anything else is a loss).
  const acknowledged = new Map<number, number>();
  const unanswered = new Map<number, Set<number>>();
  let stop = false;
  const labelling = (async () => {
    for (let n = 0; !stop; n++) {
      const imageId = ids[(n * 7 + round) % ids.length] as number;
      const classId = (classes[(n + round) % classes.length] as { id: number }).id;
      const pending = unanswered.get(imageId) ?? new Set<number>();
      pending.add(classId);
      unanswered.set(imageId, pending);
      const r = await api.call('labels.assign', [[imageId], classId]);
      if (typeof r !== 'object' || !r.ok) break;
      acknowledged.set(imageId, classId);
      unanswered.delete(imageId);
    }
  })();
  await new Promise((r) => setTimeout(r, 300 + round * 170));
  server.child.kill('SIGKILL');
  stop = true;
  await labelling;
  await new Promise((r) => server.child.once('exit', r));
  const stored = labelsOf(project);
  const lost = [...acknowledged].filter(([img, cls]) => {
    const now = stored.get(img);
    return now !== cls && !(now !== undefined && unanswered.get(img)?.has(now));
  }).length;
  tally.record('kill -9 while labelling', {
    lost: lost > 0 || !integrityOk(project),
    note: `round ${round}: ${acknowledged.size} labels acknowledged, ${lost} lost`,
  });
}

/** Kills the server in the middle of an import, then checks the next start finishes it. */
async function killWhileImporting(root: string, project: string, tally: Tally, round: number) {
  const more = path.join(root, `more-${round}`);
  await writePhotos(more, 40, ['a', 'b']);
  const server = await startServer(root, project);
  const api = await ApiClient.connect(server);
  await api.call('library.addRoot', [more]);
  await new Promise((r) => setTimeout(r, 150 + round * 90));
  server.child.kill('SIGKILL');
  await new Promise((r) => server.child.once('exit', r));
  const again = await startServer(root, project);
  const api2 = await ApiClient.connect(again);
  const idle = await importIdle(api2);
  const counts = await api2.must<{ pending: number; ok: number }>('library.counts');
  await stopServer(again);
  tally.record('kill -9 while importing', {
    hang: !idle,
    lost: counts.pending > 0 || !integrityOk(project),
    note: `round ${round}: ${counts.ok} ok, ${counts.pending} pending after restart`,
  });
}

/** Kill -9 rounds while labelling and while importing. */
export async function killAttacks(root: string, project: string, tally: Tally): Promise<void> {
  for (let round = 0; round < 5; round++) await killWhileLabelling(root, project, tally, round);
  for (let round = 0; round < 3; round++) await killWhileImporting(root, project, tally, round);
}

/** A second process writing while the server owns the project; readers still read. */
export async function twoWriters(root: string, project: string, tally: Tally): Promise<void> {
  const server = await startServer(root, project);
  const appData = path.join(root, 'cli-appdata');
  try {
    for (const args of [
      ['label', project, 'intruder', path.join(root, 'photos')],
      ['add', project, path.join(root, 'photos')],
      ['rescan', project],
      ['import-labels', project, path.join(root, 'nothing.csv')],
    ]) {
      const r = await cli(args, appData);
      const refused = r !== 'hang' && r.code !== 0 && /another Ocellus window/.test(r.stderr);
      tally.record('two processes, one project', {
        hang: r === 'hang',
        lost: !refused,
        note: refused ? undefined : `${args[0]} was not refused`,
      });
    }
    const status = await cli(['status', project, '--json'], appData);
    tally.record('two processes, one project', {
      hang: status === 'hang',
      note: status !== 'hang' && status.code !== 0 ? `status failed: ${status.stderr}` : undefined,
    });
  } finally {
    await stopServer(server);
  }
}

function mount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A small tmpfs that fills up during an import, and read-only media; skipped without mount. */
export async function diskAttacks(root: string, tally: Tally, notes: string[]): Promise<void> {
  const small = path.join(root, 'small');
  fs.mkdirSync(small);
  if (!mount(['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', small])) {
    notes.push('full disk and read-only media: skipped (this user cannot mount a tmpfs)');
    return;
  }
  const appData = path.join(root, 'disk-appdata');
  try {
    const photos = path.join(root, 'noisy');
    await writeNoisyPhotos(photos, 16);
    const project = path.join(small, 'p.ocellus');
    await cli(['init', project], appData);
    const add = await cli(['add', project, photos], appData);
    const stopped = add !== 'hang' && add.code !== 0 && /is full/.test(add.stderr);
    tally.record('full disk during an import', {
      hang: add === 'hang',
      lost: !integrityOk(project),
      note: stopped
        ? undefined
        : `add did not stop with "is full": ${add === 'hang' ? 'hang' : add.stderr}`,
    });
    mount(['-o', 'remount,size=64m', small]);
    const rescan = await cli(['rescan', project, '--json'], appData);
    const done = rescan !== 'hang' && rescan.code === 0 && /"pending": 0/.test(rescan.stdout);
    tally.record('full disk during an import', {
      hang: rescan === 'hang',
      lost: !done || !integrityOk(project),
      note: done ? undefined : 'the rescan after freeing space did not finish the import',
    });

    mount(['-o', 'remount,ro', small]);
    const status = await cli(['status', project, '--json'], appData);
    tally.record('read-only media', {
      hang: status === 'hang',
      lost: status === 'hang' || status.code !== 0,
      note: status !== 'hang' && status.code !== 0 ? `status: ${status.stderr}` : undefined,
    });
    const write = await cli(['label', project, 'x', photos], appData);
    tally.record('read-only media', {
      hang: write === 'hang',
      note:
        write !== 'hang' && write.code === 0 ? 'a write on read-only media succeeded?' : undefined,
    });
  } finally {
    execFileSync('umount', ['-l', small]);
  }
}
