import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/**
 * Starting and driving the browser-mode server (out/main/web.js) from a benchmark: start and
 * stop, its memory and CPU, calls over its WebSocket, waiting until its jobs are done.
 */

// Bundled into out/bench/: the repository is two folders up.
const WEB = path.join(path.resolve(__dirname, '../..'), 'out/main/web.js');

export interface Server {
  child: ChildProcess;
  url: string;
  origin: string;
  token: string;
  startMs: number;
}

/** Browser mode on a free port, opening `project` at start when given. */
export async function startServer(
  project: string | null,
  appData: string,
  projectDir: string,
  env: Record<string, string> = {},
): Promise<Server> {
  const t0 = performance.now();
  const args = [WEB, '--port', '0', ...(project ? ['--project', project] : [])];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      OCELLUS_APP_DATA: appData,
      OCELLUS_PROJECT_DIR: projectDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 20_000) err = err.slice(-10_000);
    });
    child.once('exit', (code) => reject(new Error(`web server exited (${code}): ${err}`)));
  });
  const parsed = new URL(url);
  return {
    child,
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    startMs: performance.now() - t0,
  };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Resident memory of a process in MB; null off Linux. */
export function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far; null off Linux. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

type RpcResult = { ok: true; value: unknown } | { ok: false; error: { message?: string } };

export class Rpc {
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; id?: number; result?: RpcResult };
      if (msg.type !== 'result' || msg.id === undefined || !msg.result) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.result.ok) p.resolve(msg.result.value);
      else p.reject(new Error(msg.result.error.message ?? 'API error'));
    });
  }

  static async connect(server: Server): Promise<Rpc> {
    const ws = new WebSocket(
      `ws://${new URL(server.origin).host}/api?token=${encodeURIComponent(server.token)}`,
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Rpc(ws);
  }

  call<T>(channel: string, ...args: unknown[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ type: 'call', id, channel, args }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

export interface ClassInfo {
  id: number;
  name: string;
  hotkey: string | null;
}

export interface JobInfo {
  state: string;
  kind: string;
}

export async function waitIdle(rpc: Rpc, timeoutMs = 30 * 60_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const jobs = await rpc.call<JobInfo[]>('jobs.list');
    if (!jobs.some((j) => j.state === 'running' || j.state === 'queued')) break;
    if (performance.now() - t0 > timeoutMs) throw new Error('server did not become idle');
    await new Promise((r) => setTimeout(r, 250));
  }
  return performance.now() - t0;
}
