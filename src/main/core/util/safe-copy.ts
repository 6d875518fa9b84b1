import fs from 'node:fs';
import path from 'node:path';
import { openSafe, type SafeOpenOptions } from './safe-fs';

/**
 * Copies a file it checked like `openSafe` to `to` (which must not exist yet), reading from
 * the opened descriptor: a file swapped for a link, FIFO or device, or grown past the cap
 * during the copy, is refused.
 */
export async function copyFileSafe(
  from: string,
  to: string,
  options: SafeOpenOptions,
): Promise<void> {
  await fs.promises.mkdir(path.dirname(to), { recursive: true });
  const file = await openSafe(from, options);
  const out = await fs.promises.open(to, 'wx');
  try {
    await file.forEachChunk(async (chunk) => {
      await out.write(chunk);
    });
  } finally {
    await out.close();
    await file.close();
  }
}
