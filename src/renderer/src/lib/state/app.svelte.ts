import type { OcellusClient } from '../../../../shared/api';
import { OcellusError } from '../../../../shared/errors';
import type {
  AppInfo,
  JobInfo,
  LabelMode,
  ProjectStatus,
  ProjectSummary,
  RecentProject,
} from '../../../../shared/types';
import { createClient, type ConnectionState } from '../api/client';

export type ViewId = 'library' | 'label' | 'train' | 'evaluate' | 'export';

export const VIEWS: { id: ViewId; title: string }[] = [
  { id: 'library', title: 'Library' },
  { id: 'label', title: 'Label' },
  { id: 'train', title: 'Train' },
  { id: 'evaluate', title: 'Evaluate' },
  { id: 'export', title: 'Export' },
];

/** App-wide state: the connection, the open project, recent projects, jobs, errors. */
export class AppState {
  #connection = $state<ConnectionState>('connecting');
  get connection(): ConnectionState {
    return this.#connection;
  }

  #info = $state<AppInfo | null>(null);
  get info(): AppInfo | null {
    return this.#info;
  }

  #project = $state<ProjectSummary | null>(null);
  get project(): ProjectSummary | null {
    return this.#project;
  }

  #status = $state<ProjectStatus | null>(null);
  get status(): ProjectStatus | null {
    return this.#status;
  }

  #recent = $state<RecentProject[]>([]);
  get recent(): RecentProject[] {
    return this.#recent;
  }

  #jobs = $state<JobInfo[]>([]);
  get jobs(): JobInfo[] {
    return this.#jobs;
  }

  #view = $state<ViewId>('library');
  get view(): ViewId {
    return this.#view;
  }
  set view(value: ViewId) {
    this.#view = value;
  }

  #error = $state<string | null>(null);
  get error(): string | null {
    return this.#error;
  }
  set error(value: string | null) {
    this.#error = value;
  }

  #busy = $state(false);
  get busy(): boolean {
    return this.#busy;
  }

  #ready = $state(false);
  get ready(): boolean {
    return this.#ready;
  }

  private client: OcellusClient | null = null;

  /** `connect` makes the API client (a test passes a fake one). */
  constructor(
    private readonly connect: (
      onState: (s: ConnectionState) => void,
    ) => OcellusClient = createClient,
  ) {}
  private readonly startHooks: ((client: OcellusClient) => void)[] = [];

  private readonly openAtStartHooks: (() => void)[] = [];

  /**
   * Runs a module's loading when start() finds a project already open (browser mode's
   * --project, a reload): no project:changed event announces that one.
   */
  onOpenAtStart(hook: () => void): void {
    this.openAtStartHooks.push(hook);
  }

  /** Lets another state module subscribe to events once the client exists. */
  onStart(hook: (client: OcellusClient) => void): void {
    if (this.client) hook(this.client);
    else this.startHooks.push(hook);
  }

  /** The API client, for state modules only (components go through state). */
  api(): OcellusClient {
    if (!this.client) throw new Error('The app state was not started');
    return this.client;
  }

  /** Connects, loads the initial state and subscribes to events. Call once. */
  async start(): Promise<void> {
    const client = this.connect((s) => (this.#connection = s));
    this.client = client;
    // The app's own listeners go first: other modules' listeners then see the project (or
    // its absence) and the job list as they are after the event.
    client.on('project:changed', (p) => {
      this.#project = p;
      this.#view = 'library';
      void this.refreshStatus();
    });
    client.on('recent:changed', (r) => (this.#recent = r));
    client.on('library:changed', () => void this.refreshStatus());
    client.on('job:updated', (job) => {
      const others = this.#jobs.filter((j) => j.id !== job.id);
      this.#jobs = [job, ...others];
    });
    for (const hook of this.startHooks.splice(0)) hook(client);
    await this.guard(async () => {
      const [info, recent, project, jobs] = await Promise.all([
        client.app.info(),
        client.app.recentProjects(),
        client.project.current(),
        client.jobs.list(),
      ]);
      this.#info = info;
      this.#recent = recent;
      this.#project = project;
      this.#jobs = jobs;
      if (project) this.#view = savedView() ?? this.#view;
      await this.refreshStatus();
    });
    if (this.#project) for (const hook of this.openAtStartHooks.splice(0)) hook();
    this.#ready = true;
  }

  /** Path separator of the machine running the service (not the browser's). */
  get separator(): string {
    return this.#info?.platform === 'win32' ? '\\' : '/';
  }

  async createProject(folder: string, name: string, labelMode: LabelMode): Promise<boolean> {
    const cleanName = name.trim();
    if (!cleanName) {
      this.#error = 'Give the project a name.';
      return false;
    }
    if (/[\\/:*?"<>|]/.test(cleanName)) {
      this.#error = 'A project name cannot contain \\ / : * ? " < > |';
      return false;
    }
    const dir = folder.trim().replace(/[\\/]+$/, '');
    const file = `${dir}${this.separator}${cleanName}${this.#info?.projectExtension ?? '.ocellus'}`;
    return this.createProjectAt(file, cleanName, labelMode);
  }

  async createProjectAt(file: string, name: string, labelMode: LabelMode): Promise<boolean> {
    return this.guard(async () => {
      this.#project = await this.api().project.create({ path: file, name, labelMode });
    });
  }

  async openProject(file: string): Promise<boolean> {
    if (!file.trim()) {
      this.#error = 'Enter the path of a project file.';
      return false;
    }
    return this.guard(async () => {
      this.#project = await this.api().project.open(file.trim());
    });
  }

  async closeProject(): Promise<void> {
    await this.guard(async () => {
      // Null first: what reacts to the closing must not ask the closed project anything.
      const was = this.#project;
      this.#project = null;
      this.#status = null;
      try {
        await this.api().project.close();
      } catch (err) {
        this.#project = was;
        throw err;
      }
      this.#recent = await this.api().app.recentProjects();
    });
  }

  async forgetRecent(path: string): Promise<void> {
    await this.guard(async () => {
      this.#recent = await this.api().app.forgetRecentProject(path);
    });
  }

  /** Native "save as" (desktop only); returns the chosen file or null. */
  async chooseNewProjectPath(name: string): Promise<string | null> {
    let chosen: string | null = null;
    await this.guard(async () => {
      chosen = await this.api().dialogs.chooseNewProjectPath(name);
    });
    return chosen;
  }

  /** Native folder picker (desktop only); returns the chosen folder or null. */
  async chooseFolder(title: string): Promise<string | null> {
    let chosen: string | null = null;
    await this.guard(async () => {
      chosen = await this.api().dialogs.chooseFolder(title);
    });
    return chosen;
  }

  /** Native "open" (desktop only); returns the chosen file or null. */
  async chooseProjectToOpen(): Promise<string | null> {
    let chosen: string | null = null;
    await this.guard(async () => {
      chosen = await this.api().dialogs.chooseProjectToOpen();
    });
    return chosen;
  }

  async cancelJob(id: string): Promise<void> {
    await this.guard(() => this.api().jobs.cancel(id));
  }

  async refreshStatus(): Promise<void> {
    if (!this.#project) {
      this.#status = null;
      return;
    }
    try {
      this.#status = await this.api().project.status();
    } catch (err) {
      this.#status = null;
      if (!(err instanceof OcellusError && err.code === 'NO_PROJECT_OPEN')) this.report(err);
    }
  }

  dismissError(): void {
    this.#error = null;
  }

  /** Runs an action, turning a thrown error into the visible error message. */
  async guard(action: () => Promise<unknown>): Promise<boolean> {
    this.#busy = true;
    this.#error = null;
    try {
      await action();
      return true;
    } catch (err) {
      this.report(err);
      return false;
    } finally {
      this.#busy = false;
    }
  }

  report(err: unknown): void {
    // A call that was under way when the project closed: nothing went wrong for the user.
    if (err instanceof OcellusError && err.code === 'NO_PROJECT_OPEN' && !this.#project) return;
    this.#error = err instanceof Error ? err.message : String(err);
  }
}

const VIEW_KEY = 'ocellus.view';

/** The view this tab showed before a reload, if any. */
function savedView(): ViewId | null {
  try {
    const v = sessionStorage.getItem(VIEW_KEY);
    return VIEWS.some((x) => x.id === v) ? (v as ViewId) : null;
  } catch {
    return null;
  }
}

/** Remembers the view for a reload of this tab. */
export function saveView(view: ViewId): void {
  try {
    sessionStorage.setItem(VIEW_KEY, view);
  } catch {
    // No storage: a reload starts in the Library.
  }
}
