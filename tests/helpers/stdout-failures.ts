import { spawn } from 'node:child_process';
import fs from 'node:fs';

/**
 * Runs a Node script whose standard output fails: 'closed' (the reader went away before the
 * first write, as `| head` does: EPIPE) or 'full' (/dev/full: ENOSPC). Resolves with the exit
 * code and stderr; a run that outlives `timeoutMs` is killed and rejected.
 */
export function runWithFailingStdout(
  args: string[],
  how: 'closed' | 'full',
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stderr: string }> {
  const out = how === 'full' ? fs.openSync('/dev/full', 'w') : 'pipe';
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', out, 'pipe'],
  });
  if (typeof out === 'number') fs.closeSync(out);
  child.stdout?.destroy();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not end with its output ${how}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}
