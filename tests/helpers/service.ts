import { createOcellusService, type OcellusService } from '../../src/main/core/service';
import type { JobInfo } from '../../src/shared/types';
import { makeTmpDir } from './tmp-dir';

/** A real service on temporary folders, as the CLI or browser mode would build it. */
export function makeTestService(
  host: 'web' | 'cli' = 'web',
  options: { watch?: boolean; writeStabilityMs?: number; resourcesDir?: string } = {},
): {
  service: OcellusService;
  dir: string;
  cleanup: () => Promise<void>;
} {
  const tmp = makeTmpDir();
  const service = createOcellusService({
    host,
    appVersion: '0.0.0-test',
    appDataDir: `${tmp.dir}/appdata`,
    defaultProjectDir: tmp.dir,
    watch: options.watch ?? false,
    writeStabilityMs: options.writeStabilityMs ?? 200,
    ...(options.resourcesDir ? { resourcesDir: options.resourcesDir } : {}),
  });
  return {
    service,
    dir: tmp.dir,
    cleanup: async () => {
      await service.dispose();
      tmp.cleanup();
    },
  };
}

/**
 * Resolves with a job's last update once it is no longer running (waits on events; a job
 * that ended before the call is found in the job list).
 */
export function jobFinished(
  service: OcellusService,
  job: string | null | { id: string },
): Promise<JobInfo> {
  const id = typeof job === 'object' && job !== null ? job.id : job;
  return new Promise((resolve) => {
    const off = service.bus.on('job:updated', (j) => {
      if (j.id === id && j.state !== 'running') {
        off();
        resolve(j);
      }
    });
    void service.api.jobs.list().then((jobs) => {
      const ended = jobs.find((j) => j.id === id && j.state !== 'running');
      if (ended) {
        off();
        resolve(ended);
      }
    });
  });
}
