/**
 * Browser mode: `npm run web [-- --project path] [-- --port N]`. Serves the same UI and
 * the same service as the desktop app, over HTTP + WebSocket on 127.0.0.1.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  defaultAppDataDir,
  defaultProjectDir,
  locateMlWorker,
  locateResources,
} from '../core/app/app-paths';
import { createOcellusService } from '../core/service';
import { startWebServer } from './server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env['OCELLUS_PORT'] ?? '0' },
      project: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('Usage: npm run web -- [--port N] [--project file.ocellus]\n');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a port number, not ${values.port}`);
  }
  const service = createOcellusService({
    host: 'web',
    appVersion: __OCELLUS_VERSION__,
    appDataDir: defaultAppDataDir(),
    defaultProjectDir: process.env['OCELLUS_PROJECT_DIR'] ?? defaultProjectDir(),
    // Another resources folder (model zoo, bundled models) for a custom zoo, or for tests.
    resourcesDir: process.env['OCELLUS_RESOURCES'] ?? locateResources(__dirname),
    mlWorkerFile: locateMlWorker(__dirname),
  });
  if (values.project) await service.api.project.open(path.resolve(values.project));
  const server = await startWebServer({
    service,
    rendererDir: path.join(__dirname, '../renderer'),
    port,
  });
  // Before the address is printed: whoever reads it may stop the server at once, and the
  // project (and its lock) must then be closed properly.
  const shutdown = () => {
    void server.close().then(() => {
      void service.dispose().finally(() => process.exit(0));
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stdout.write(`Ocellus ${__OCELLUS_VERSION__} (browser mode) is running.\n`);
  process.stdout.write(`Open ${server.url}\n`);
  process.stdout.write('Only this machine can connect; the token in the address is required.\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`ocellus web: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
