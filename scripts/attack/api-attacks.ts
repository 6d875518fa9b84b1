/**
 * Attacks through the API itself: every method with hostile arguments, class names that are
 * spreadsheet formulas in every CSV export, and hostile model folders to import.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { listMethods } from '../../src/shared/api';
import { parseCsvRecords } from '../../src/shared/csv';
import { recover, type AttackContext } from './context';
import { importIdle, judge, running } from './harness';
import { argLists, hostileValues } from './hostile-values';

/** Every method, every hostile argument list; the project is reopened when a call closed it. */
export async function fuzzAttacks(ctx: AttackContext): Promise<void> {
  const category = 'API calls with hostile arguments';
  const fifo = path.join(ctx.root, 'fifo.ocellus');
  execFileSync('mkfifo', [fifo]);
  const device = path.join(ctx.root, 'zero.ocellus');
  fs.symlinkSync('/dev/zero', device);
  const values = [...hostileValues(), fifo, device, { path: fifo }, { out: fifo, format: 'csv' }];
  // A server that hangs on every call would take hours to try them all: stop at a bound.
  const until = Date.now() + 20 * 60_000;
  for (const { channel } of listMethods()) {
    for (const args of argLists(values)) {
      if (Date.now() > until) {
        ctx.tally.notes.push(`${category}: stopped after 20 min, before ${channel}`);
        return;
      }
      const r = await ctx.api.call(channel, args);
      const outcome = { ...judge(r), crash: !running(ctx.server) };
      ctx.tally.record(category, {
        ...outcome,
        note: typeof r === 'object' && !r.ok ? `${channel}: ${String(r.error?.message)}` : channel,
      });
      if (outcome.crash || outcome.hang || r === 'closed') await recover(ctx);
      const current = await ctx.api.call('project.current', []);
      if (
        typeof current === 'object' &&
        (current.value as { path?: string } | null)?.path !== ctx.project
      ) {
        await ctx.api.must('project.open', [ctx.project]);
      }
      if (!(await importIdle(ctx.api, 20_000))) {
        ctx.tally.record(category, { hang: true, note: `import never ended after ${channel}` });
        await recover(ctx);
      }
    }
  }
  const stray = path.resolve('fuzz-relative-project.ocellus');
  ctx.tally.record(category, {
    leak: fs.existsSync(stray),
    note: 'a relative path created a project in the working folder',
  });
}

const FORMULA = /^[=+\-@\t\r]/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Class names that are formulas, exported as CSV and Camtrap DP: no cell may stay live. */
export async function csvAttacks(ctx: AttackContext): Promise<void> {
  const category = 'CSV formula injection';
  const names = ['=HYPERLINK("x.example","open")', '+SUM(1,2)', '-2+3', '@A1', '\t=1', '\r=2'];
  const images = await ctx.api.must<{ items: { id: number; status: string }[] }>(
    'library.listImages',
    [{ limit: 50 }],
  );
  const ok = images.items.filter((i) => i.status === 'ok');
  for (const [i, name] of names.entries()) {
    const cls = await ctx.api.call('labels.addClass', [name]);
    if (typeof cls !== 'object' || !cls.ok) continue;
    const id = (cls.value as { id: number }).id;
    const img = ok[i % Math.max(1, ok.length)];
    if (img) await ctx.api.call('labels.assign', [[img.id], id]);
  }
  for (const format of ['csv', 'camtrap-dp']) {
    const out = path.join(ctx.root, `export-${format}`);
    const job = await ctx.api.call('export.dataset', [{ format, out }]);
    await importIdle(ctx.api);
    const files = fs.existsSync(out) ? fs.readdirSync(out).filter((f) => f.endsWith('.csv')) : [];
    for (const f of files) {
      const live = parseCsvRecords(fs.readFileSync(path.join(out, f), 'utf8'))
        .flatMap((r) => r.fields)
        .filter((cell) => FORMULA.test(cell) && !NUMBER.test(cell));
      ctx.tally.record(category, {
        leak: live.length > 0,
        note: live.length ? `${format}/${f}: ${live.slice(0, 3).join(' | ')}` : undefined,
      });
    }
    ctx.tally.record(category, { ...judge(job) });
  }
}

function modelFolder(dir: string, weights: object[], shardBytes: number): string {
  fs.mkdirSync(dir, { recursive: true });
  const topology = {
    class_name: 'Sequential',
    config: {
      name: 'seq',
      layers: [
        {
          class_name: 'Dense',
          config: { name: 'dense', units: 2, batch_input_shape: [null, 4], activation: 'linear' },
        },
      ],
    },
  };
  const json = {
    format: 'layers-model',
    modelTopology: topology,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), Buffer.alloc(shardBytes, 1));
  return dir;
}

/** Hostile model folders: each must be refused, and nothing of the secret may be stored. */
export async function modelAttacks(ctx: AttackContext): Promise<void> {
  const category = 'hostile model folders';
  const base = path.join(ctx.root, 'models');
  const dense = [
    { name: 'dense/kernel', shape: [4, 2], dtype: 'float32' },
    { name: 'dense/bias', shape: [2], dtype: 'float32' },
  ];
  const folders: string[] = [
    modelFolder(path.join(base, 'string'), [{ name: 'w', shape: [1e9], dtype: 'string' }], 16),
    modelFolder(path.join(base, 'huge'), [{ name: 'w', shape: [1e6, 1e6], dtype: 'float32' }], 16),
    modelFolder(
      path.join(base, 'quant'),
      [{ name: 'w', shape: [8], dtype: 'float32', quantization: { dtype: 'int4' } }],
      8,
    ),
    modelFolder(path.join(base, 'short'), dense, 39),
    modelFolder(path.join(base, 'long'), dense, 1 << 20),
  ];
  const swapShard = (name: string, make: (shard: string) => void) => {
    const dir = modelFolder(path.join(base, name), dense, 40);
    const shard = path.join(dir, 'group1-shard1of1.bin');
    fs.rmSync(shard);
    make(shard);
    folders.push(dir);
  };
  swapShard('link-secret', (s) => fs.symlinkSync(ctx.secret, s));
  swapShard('link-shadow', (s) => fs.symlinkSync('/etc/shadow', s));
  swapShard('fifo', (s) => execFileSync('mkfifo', [s]));
  swapShard('device', (s) => fs.symlinkSync('/dev/zero', s));
  const escape = modelFolder(path.join(base, 'escape'), dense, 40);
  const json = JSON.parse(fs.readFileSync(path.join(escape, 'model.json'), 'utf8'));
  json.weightsManifest[0].paths = ['../link-secret/group1-shard1of1.bin'];
  fs.writeFileSync(path.join(escape, 'model.json'), JSON.stringify(json));
  folders.push(escape);
  for (const dir of folders) {
    const r = await ctx.api.call('ml.importModel', [dir]);
    const imported = typeof r === 'object' && r.ok;
    ctx.tally.record(category, {
      ...judge(r),
      leak: imported,
      crash: !running(ctx.server),
      note: imported ? `${path.basename(dir)} was imported` : undefined,
    });
  }
  const store = path.join(ctx.appData, 'models');
  const stored = fs.existsSync(store) ? listFiles(store) : [];
  const leaked = stored.filter((f) => fs.readFileSync(f).includes(ctx.secretMarker));
  ctx.tally.record(category, { leak: leaked.length > 0, note: leaked.join(', ') || undefined });
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}
