import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Whether the native TensorFlow backend loads here, and why not when it does not. */
export interface NativeStatus {
  available: boolean;
  /** Shown as the skip note of the native-backend tests. */
  reason: string;
}

let status: NativeStatus | null = null;

/**
 * Checks in a child process (requiring tfjs-node in this one would switch its backend), once
 * per test file. The reason comes from `npm run setup:native` when it ran and failed.
 */
export function nativeBackend(): NativeStatus {
  if (status) return status;
  const r = spawnSync(
    process.execPath,
    ['-e', "process.exit(require('@tensorflow/tfjs-node').getBackend() === 'tensorflow' ? 0 : 3)"],
    {
      cwd: path.resolve('.'),
      encoding: 'utf8',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    },
  );
  if (r.status === 0) return (status = { available: true, reason: '' });
  const error = `${r.stderr}`
    .split('\n')
    .find((l) => /^\w*Error\b/.test(l))
    ?.trim();
  const file = path.resolve('node_modules/.cache/ocellus-native/status.json');
  let setup = 'npm run setup:native has not run here';
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { reason?: string | null };
    setup = saved.reason ? `npm run setup:native: ${saved.reason}` : 'it loaded at setup';
  } catch {
    // No status file: the setup never ran here.
  }
  const why = [setup, error].filter(Boolean).join('; ');
  status = { available: false, reason: `native TensorFlow backend unavailable (${why})` };
  // The default reporter hides skip notes: say it once per test file where everyone looks.
  process.stderr.write(`${status.reason}: its tests are skipped\n`);
  return status;
}
