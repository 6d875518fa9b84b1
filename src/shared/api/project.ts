/** The `project` domain of the API contract (see ../api.ts). */
import type {
  CreateProjectInput,
  OpenProjectOptions,
  ProjectStatus,
  ProjectSummary,
} from '../types';

export interface ProjectApi {
  /** Creates a new project file and opens it. Refuses to overwrite an existing file. */
  create(input: CreateProjectInput): Promise<ProjectSummary>;
  /**
   * Opens an existing project file, closing the current one. PROJECT_LOCKED when another
   * Ocellus process owns it (unless opened read-only).
   */
  open(path: string, options?: OpenProjectOptions): Promise<ProjectSummary>;
  /** Closes the current project, if any. */
  close(): Promise<void>;
  /** The open project, or null. */
  current(): Promise<ProjectSummary | null>;
  /** Counts for the open project. */
  status(): Promise<ProjectStatus>;
}
