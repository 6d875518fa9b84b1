import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic';

/** Per-user preferences of the app (not of a project). */
export interface AppSettings {
  /** Forced ML backend; absent means the best available. */
  backend?: 'tensorflow' | 'wasm' | 'cpu';
}

const FILE = 'settings.json';

/** Reads the settings; a missing or damaged file gives the defaults. */
export function readAppSettings(appDataDir: string): AppSettings {
  try {
    const data: unknown = JSON.parse(fs.readFileSync(path.join(appDataDir, FILE), 'utf8'));
    return typeof data === 'object' && data !== null ? (data as AppSettings) : {};
  } catch {
    return {};
  }
}

/** Writes the settings atomically. */
export function writeAppSettings(appDataDir: string, settings: AppSettings): void {
  fs.mkdirSync(appDataDir, { recursive: true });
  writeFileAtomic(path.join(appDataDir, FILE), `${JSON.stringify(settings, null, 2)}\n`);
}
