/** A project file: creating, opening, its status. */

export type LabelMode = 'single' | 'multi';

export interface CreateProjectInput {
  /** Full path of the new `.ocellus` file; the extension is added when missing. */
  path: string;
  /** Display name; defaults to the file name. */
  name?: string;
  labelMode?: LabelMode;
}

export interface ProjectSummary {
  path: string;
  name: string;
  labelMode: LabelMode;
  schemaVersion: number;
  /** ISO 8601 creation time. */
  createdAt: string;
  /** Version of the app that created the project. */
  createdWith: string;
  /** Set when opened read-only (nothing can be changed; no watching, no jobs that write). */
  readOnly?: boolean;
}

export interface OpenProjectOptions {
  /**
   * Read without owning it: no lock, no migration, nothing written. Works on read-only media
   * and while another Ocellus process owns the project.
   */
  readOnly?: boolean;
}

export interface ImageCounts {
  total: number;
  ok: number;
  broken: number;
  unsupported: number;
  /** Found but not yet read (an import in progress or interrupted). */
  pending: number;
  /** Files that disappeared; kept so a moved file keeps its labels when it reappears. */
  missing: number;
}

export interface ClassCount {
  name: string;
  count: number;
}

export interface ProjectStatus {
  project: ProjectSummary;
  images: ImageCounts;
  classes: ClassCount[];
  unlabelled: number;
  /** Size of the project file (and its WAL) in bytes. */
  fileBytes: number;
}
