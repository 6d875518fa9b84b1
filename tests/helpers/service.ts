import { createOcellusService, type OcellusService } from '../../src/main/core/service';
import { makeTmpDir } from './tmp-dir';

/** A real service on temporary folders, as the CLI or browser mode would build it. */
export function makeTestService(host: 'web' | 'cli' = 'web'): {
  service: OcellusService;
  dir: string;
  cleanup: () => void;
} {
  const tmp = makeTmpDir();
  const service = createOcellusService({
    host,
    appVersion: '0.0.0-test',
    appDataDir: `${tmp.dir}/appdata`,
    defaultProjectDir: tmp.dir,
  });
  return {
    service,
    dir: tmp.dir,
    cleanup: () => {
      service.dispose();
      tmp.cleanup();
    },
  };
}
