/**
 * `npm run attack`: reruns the hardening attacks against the built app (browser-mode
 * server, CLI) on temporary folders and prints attacks tried, crashes, hangs, leaks, data
 * lost. Linux or macOS (FIFOs, /etc/passwd); the full-disk and read-only cases mount a tmpfs
 * and are skipped, with a note, where that is not allowed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { csvAttacks, fuzzAttacks, modelAttacks } from './attack/api-attacks';
import { writePhotos, type AttackContext } from './attack/context';
import { diskAttacks, killAttacks, twoWriters } from './attack/data-attacks';
import { fileAttacks } from './attack/file-attacks';
import {
  ApiClient,
  cli,
  importIdle,
  OUTCOMES,
  running,
  startServer,
  stopServer,
  Tally,
} from './attack/harness';
import {
  floodAttacks,
  httpAttacks,
  protocolAttacks,
  type FloodFigures,
} from './attack/socket-attacks';

let reported = false;

function log(line: string): void {
  process.stderr.write(`[attack] ${line}\n`);
}

async function setUp(root: string, tally: Tally): Promise<AttackContext> {
  const appData = path.join(root, 'appdata');
  const photos = path.join(root, 'photos');
  await writePhotos(photos, 8, ['fox', 'badger', 'empty']);
  const secretMarker = `OCELLUS-SECRET-${crypto.randomBytes(8).toString('hex')}`;
  const secret = path.join(root, 'outside', 'secret.txt');
  fs.mkdirSync(path.dirname(secret), { recursive: true });
  fs.writeFileSync(secret, `${secretMarker}\n`);
  const project = path.join(root, 'p.ocellus');
  await cli(['init', project], appData);
  await cli(['add', project, photos, '--labels-from-folders'], appData);
  const server = await startServer(root, project);
  const api = await ApiClient.connect(server);
  await importIdle(api);
  return { root, appData, project, photos, secret, secretMarker, server, api, tally };
}

/** Runs one group; a server that died is counted and replaced, so the next group runs. */
async function group(ctx: AttackContext, name: string, run: () => Promise<void>): Promise<void> {
  log(name);
  try {
    await run();
  } catch (err) {
    ctx.tally.notes.push(`${name}: the run itself failed: ${(err as Error).message}`);
  }
  if (!running(ctx.server)) {
    ctx.tally.record(name, { crash: true, note: ctx.server.stderr().slice(-500) });
    ctx.server = await startServer(ctx.root, ctx.project);
    ctx.api = await ApiClient.connect(ctx.server);
  }
}

function report(tally: Tally, flood: FloodFigures | null): string {
  const head = ['attack', 'tried', 'crashes', 'hangs', 'leaks', 'data lost', 'untyped errors'];
  const rows = [...tally.rows].map(([name, c]) => [
    name,
    ...[c.tried, ...OUTCOMES.map((k) => c[k])].map(String),
  ]);
  const total = { tried: 0, crash: 0, hang: 0, leak: 0, lost: 0, untyped: 0 };
  for (const c of tally.rows.values()) {
    total.tried += c.tried;
    for (const k of OUTCOMES) total[k] += c[k];
  }
  rows.push(['total', ...[total.tried, ...OUTCOMES.map((k) => total[k])].map(String)]);
  const table = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  if (flood) {
    const get = flood.floodedGetMs === null ? 'no answer' : `${flood.floodedGetMs.toFixed(0)} ms`;
    out.push(
      '',
      `flood: ${flood.calls} pipelined calls on one socket, ${flood.busy} answered BUSY; ` +
        `GET / took ${get} during the flood, ${flood.idleGetMs.toFixed(0)} ms before it`,
      `server peak memory (VmHWM): ${flood.peakRssMb?.toFixed(0) ?? '?'} MB`,
    );
  }
  if (tally.notes.length) out.push('', 'notes:', ...tally.notes.map((n) => `  ${n}`));
  return out.join('\n');
}

async function main(): Promise<void> {
  if (!fs.existsSync('out/main/web.js')) throw new Error('build first: npm run build');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-attack-'));
  const tally = new Tally();
  let flood: FloodFigures | null = null;
  const started = Date.now();
  try {
    const ctx = await setUp(root, tally);
    await group(ctx, 'HTTP and handshake tricks', () => httpAttacks(ctx));
    await group(ctx, 'WebSocket protocol violations', () => protocolAttacks(ctx));
    await group(ctx, 'floods on one socket', async () => {
      flood = await floodAttacks(ctx);
    });
    await group(ctx, 'files in a watched folder', () => fileAttacks(ctx));
    await group(ctx, 'API calls with hostile arguments', () => fuzzAttacks(ctx));
    await group(ctx, 'CSV formula injection', () => csvAttacks(ctx));
    await group(ctx, 'hostile model folders', () => modelAttacks(ctx));
    ctx.api.close();
    await stopServer(ctx.server);
    log('kill -9 rounds');
    await killAttacks(root, ctx.project, tally);
    log('two processes');
    await twoWriters(root, ctx.project, tally);
    log('full disk, read-only media');
    await diskAttacks(root, tally, tally.notes);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  // Set inside a callback, which the compiler's flow analysis does not follow.
  process.stdout.write(`${report(tally, flood as FloodFigures | null)}\n`);
  process.stdout.write(
    `\n${((Date.now() - started) / 1000).toFixed(0)} s on ${os.cpus().length} cores\n`,
  );
  reported = true;
}

// An await that nothing can settle any more would end the run silently with code 0.
process.on('beforeExit', () => {
  if (!reported) {
    process.stderr.write('attack: stopped waiting on something that will never answer\n');
    process.exitCode = 1;
  }
});

main().catch((err: unknown) => {
  process.stderr.write(
    `attack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
