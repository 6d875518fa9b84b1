import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

/** The Electron binary, if it was downloaded; never triggers a download itself. */
function electronBinary(): string | null {
  const pkgDir = path.resolve('node_modules/electron');
  const pathFile = path.join(pkgDir, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const exe = path.join(pkgDir, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(exe) ? exe : null;
}

const binary = electronBinary();
const SKIP_REASON =
  'Electron binary is not installed: it downloads on first use and this machine has no internet';
if (binary === null) console.warn(`[electron.spec] skipped — ${SKIP_REASON}`);

test.describe('desktop app (Electron)', () => {
  test.skip(binary === null, SKIP_REASON);

  test('starts hardened, exposes only window.ocellus, opens no new windows', async () => {
    const appData = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-electron-'));
    const app = await electron.launch({
      executablePath: binary ?? undefined,
      args: ['.'],
      env: { ...process.env, OCELLUS_APP_DATA: appData },
    });
    try {
      const win = await app.firstWindow();
      await expect(win.getByRole('heading', { name: 'Ocellus', level: 1 })).toBeVisible();
      const globals = await win.evaluate(() => ({
        bridge: typeof window.ocellus,
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      expect(globals).toEqual({ bridge: 'object', require: 'undefined', process: 'undefined' });
      const opened = await win.evaluate(() => window.open('https://example.com') === null);
      expect(opened).toBe(true);
    } finally {
      await app.close();
      fs.rmSync(appData, { recursive: true, force: true });
    }
  });
});
