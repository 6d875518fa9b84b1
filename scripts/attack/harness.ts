/**
 * What the attack run needs around the built app: the browser-mode server as a child
 * process, the CLI, a WebSocket client with deadlines, and the tally of outcomes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';

/** How long one answer may take before the attack counts as a hang. */
export const DEADLINE_MS = 15_000;

/** One attack's outcome; several flags may be set. */
export interface Outcome {
  crash?: boolean;
  hang?: boolean;
  /** Content or a hash of a file outside the project reached the API, an export or a store. */
  leak?: boolean;
  /** Acknowledged data missing afterwards, or the project file damaged. */
  lost?: boolean;
  /** An error typed INTERNAL (an unhandled case) rather than a reason. */
  untyped?: boolean;
  note?: string;
}

export const OUTCOMES = ['crash', 'hang', 'leak', 'lost', 'untyped'] as const;
export type Counts = Record<(typeof OUTCOMES)[number] | 'tried', number>;

/** Outcomes counted by category, in the order categories were first recorded. */
export class Tally {
  readonly rows = new Map<string, Counts>();
  readonly notes: string[] = [];

  record(category: string, outcome: Outcome = {}): void {
    const row = this.rows.get(category) ?? {
      tried: 0,
      crash: 0,
      hang: 0,
      leak: 0,
      lost: 0,
      untyped: 0,
    };
    row.tried++;
    for (const k of OUTCOMES) if (outcome[k]) row[k]++;
    this.rows.set(category, row);
    if (outcome.note && OUTCOMES.some((k) => outcome[k])) {
      this.notes.push(`${category}: ${outcome.note}`);
    }
  }
}

/** The browser-mode server of out/main/web.js, owning `project`. */
export interface Server {
  child: ChildProcess;
  port: number;
  token: string;
  stderr: () => string;
}

/** Starts the built server; resolves once it prints its address. */
export async function startServer(root: string, project: string): Promise<Server> {
  const child = spawn(process.execPath, ['out/main/web.js', '--port', '0', '--project', project], {
    env: {
      ...process.env,
      OCELLUS_APP_DATA: path.join(root, 'appdata'),
      OCELLUS_PROJECT_DIR: root,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m?.[1]) resolve(new URL(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
  return {
    child,
    port: Number(url.port),
    token: url.searchParams.get('token') ?? '',
    stderr: () => err,
  };
}

/** Stops a server politely (SIGTERM), or for good after the deadline. */
export async function stopServer(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
  await exited;
  clearTimeout(timer);
}

/** True while the server process runs. */
export function running(server: Server): boolean {
  return server.child.exitCode === null && server.child.signalCode === null;
}

/** Peak resident memory of a process in MB (Linux), or null. */
export function peakRssMb(pid: number | undefined): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * GET a path of the server, exactly as written (no normalisation of `..`, any Host header):
 * its status and body, or 'hang' past the deadline.
 */
export function httpGet(
  server: Server,
  urlPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string } | 'hang' | 'refused'> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port: server.port, path: urlPath, headers, timeout: DEADLINE_MS },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => {
          if (body.length < 1 << 20) body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve('refused'));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve('hang');
    });
    req.on('error', () => resolve('refused'));
  });
}

/** Writes a raw HTTP request; resolves with what came back, or 'hang' past the deadline. */
export function rawHttp(server: Server, request: string): Promise<string | 'hang'> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(request));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(text === '' ? 'hang' : text);
    }, DEADLINE_MS);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      // One answer is enough; the server may keep the connection open for more.
      if (text.includes('\r\n\r\n')) socket.end();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', () => undefined);
  });
}

export interface Envelope {
  ok: boolean;
  value?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** A WebSocket client of the API whose calls end in an envelope, 'hang' or 'closed'. */
export class ApiClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: Envelope | 'closed') => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const msg = JSON.parse(d.toString()) as { type: string; id?: number; result?: Envelope };
      if (msg.type !== 'result' || msg.id === undefined) return;
      this.waiting.get(msg.id)?.(msg.result as Envelope);
      this.waiting.delete(msg.id);
    });
    ws.on('close', () => {
      for (const settle of this.waiting.values()) settle('closed');
      this.waiting.clear();
    });
    ws.on('error', () => undefined);
  }

  static connect(server: Server): Promise<ApiClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
      ws.once('open', () => resolve(new ApiClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends one call without waiting (for floods); returns its id. */
  send(channel: string, args: unknown[]): Promise<Envelope | 'closed'> {
    const id = this.nextId++;
    const answer = new Promise<Envelope | 'closed'>((resolve) => this.waiting.set(id, resolve));
    this.ws.send(JSON.stringify({ type: 'call', id, channel, args }));
    return answer;
  }

  /** One call with the deadline. */
  async call(
    channel: string,
    args: unknown[],
    deadlineMs = DEADLINE_MS,
  ): Promise<Envelope | 'hang' | 'closed'> {
    if (this.ws.readyState !== WebSocket.OPEN) return 'closed';
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => {
      timer = setTimeout(() => resolve('hang'), deadlineMs);
    });
    try {
      return await Promise.race([this.send(channel, args), hang]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The value of a call that must succeed. */
  async must<T>(channel: string, args: unknown[] = []): Promise<T> {
    const r = await this.call(channel, args);
    if (typeof r === 'string' || !r.ok) {
      throw new Error(`${channel} failed: ${typeof r === 'string' ? r : JSON.stringify(r.error)}`);
    }
    return r.value as T;
  }

  close(): void {
    this.ws.close();
  }
}

/** The outcome of one answer: a hang, a closed connection, or an INTERNAL error. */
export function judge(r: Envelope | 'hang' | 'closed'): Outcome {
  if (r === 'hang') return { hang: true };
  if (r === 'closed') return { crash: true, note: 'connection closed' };
  if (!r.ok && (r.error?.code === 'INTERNAL' || typeof r.error?.code !== 'string')) {
    return { untyped: true, note: String(r.error?.message).slice(0, 160) };
  }
  return {};
}

/** Waits until the server's import has nothing pending, or the deadline. */
export async function importIdle(api: ApiClient, deadlineMs = 120_000): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const jobs = await api.call('jobs.list', []);
    if (typeof jobs !== 'string' && jobs.ok) {
      const list = jobs.value as { state: string }[];
      if (!list.some((j) => j.state === 'running')) return true;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** Runs the built CLI; resolves with its exit code and output, or 'hang'. */
export function cli(
  args: string[],
  appData: string,
  deadlineMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string } | 'hang'> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [path.resolve('bin/ocellus.cjs'), ...args],
      { env: { ...process.env, OCELLUS_APP_DATA: appData }, timeout: deadlineMs },
      (err, stdout, stderr) => {
        if (err && (err as { killed?: boolean }).killed) resolve('hang');
        else
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}
