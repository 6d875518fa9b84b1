import fs from 'node:fs';
import path from 'node:path';
import type { RecentProject } from '../../../shared/types';
import { writeFileAtomic } from '../util/fs-atomic';

const MAX_RECENT = 12;
const FILE_NAME = 'recent-projects.json';

interface StoredEntry {
  path: string;
  name: string;
  openedAt: string;
}

/** The recent-projects list, kept as a small JSON file in the app-data folder. */
export class RecentProjects {
  private readonly file: string;

  constructor(appDataDir: string) {
    this.file = path.join(appDataDir, FILE_NAME);
  }

  /** Entries newest first, each marked with whether its file still exists. */
  list(): RecentProject[] {
    return this.read().map((e) => ({ ...e, exists: fs.existsSync(e.path) }));
  }

  /** Puts a project at the top of the list. */
  touch(projectPath: string, name: string): RecentProject[] {
    const entries = this.read().filter((e) => !samePath(e.path, projectPath));
    entries.unshift({ path: projectPath, name, openedAt: new Date().toISOString() });
    this.write(entries.slice(0, MAX_RECENT));
    return this.list();
  }

  /** Removes a project from the list. */
  forget(projectPath: string): RecentProject[] {
    this.write(this.read().filter((e) => !samePath(e.path, projectPath)));
    return this.list();
  }

  private read(): StoredEntry[] {
    let raw: string;
    try {
      raw = fs.readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    try {
      const data: unknown = JSON.parse(raw);
      if (!Array.isArray(data)) return [];
      return data.filter(isStoredEntry);
    } catch {
      // A damaged list is not worth an error dialog: start a new one.
      return [];
    }
  }

  private write(entries: StoredEntry[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, `${JSON.stringify(entries, null, 2)}\n`);
  }
}

function isStoredEntry(v: unknown): v is StoredEntry {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['path'] === 'string' &&
    typeof r['name'] === 'string' &&
    typeof r['openedAt'] === 'string'
  );
}

function samePath(a: string, b: string): boolean {
  const na = path.resolve(a);
  const nb = path.resolve(b);
  return process.platform === 'win32' || process.platform === 'darwin'
    ? na.toLowerCase() === nb.toLowerCase()
    : na === nb;
}
