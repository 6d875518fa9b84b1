import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test as base } from '@playwright/test';

export interface OcellusServer {
  url: string;
  origin: string;
  token: string;
  /** Folder for project files (the UI's default folder). */
  projectDir: string;
  appDataDir: string;
}

/** Starts the built browser-mode server on a free port; resolves when it prints its URL. */
export async function startServer(
  root: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<{
  server: OcellusServer;
  child: ChildProcess;
}> {
  const projectDir = path.join(root, 'projects');
  const appDataDir = path.join(root, 'appdata');
  fs.mkdirSync(projectDir, { recursive: true });
  const child = spawn(process.execPath, ['out/main/web.js', '--port', '0', ...extraArgs], {
    env: { ...process.env, OCELLUS_APP_DATA: appDataDir, OCELLUS_PROJECT_DIR: projectDir, ...env },
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
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`web server exited (${code}): ${err}`)));
  });
  const parsed = new URL(url);
  return {
    child,
    server: {
      url,
      origin: parsed.origin,
      token: parsed.searchParams.get('token') ?? '',
      projectDir,
      appDataDir,
    },
  };
}

/** Stops the server and waits for it to exit. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export const test = base.extend<{ workDir: string; ocellus: OcellusServer }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form.
  workDir: async ({}, use) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-e2e-'));
    await use(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  },
  ocellus: async ({ workDir }, use) => {
    const { server, child } = await startServer(workDir);
    await use(server);
    await stopServer(child);
  },
});

export { expect } from '@playwright/test';
