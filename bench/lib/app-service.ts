import fs from 'node:fs';
import path from 'node:path';
import { ModelStore } from '../../src/main/core/ml/model-store';
import { createOcellusService, type OcellusService } from '../../src/main/core/service';
import { writeNsfwModel } from '../../tests/helpers/nsfw-models';

/** The Keras MobileNetV2 that nsfwjs ships, as the benchmarks' base model. */
export const NSFW_BASE_NAME = 'MobileNetV2 (Keras, from nsfwjs)';

/**
 * The app's own service in `work`, with the Keras MobileNetV2 of nsfwjs written to `modelDir`
 * and imported as base model `baseId`, the built embedding worker when there is one, and no
 * folder watching; also the written model.json. 'web' makes suggestions follow each run, as in the app.
 */
export async function benchService(opts: {
  work: string;
  modelDir: string;
  baseId: string;
  host: 'cli' | 'web';
}): Promise<{ service: OcellusService; modelJson: string }> {
  const modelJson = await writeNsfwModel(opts.modelDir);
  const appData = path.join(opts.work, 'appdata');
  await new ModelStore({ cacheDir: path.join(appData, 'models') }).importFolder(
    path.dirname(modelJson),
    { id: opts.baseId, name: NSFW_BASE_NAME },
  );
  const worker = path.resolve('out', 'main', 'embed-worker.js');
  const service = createOcellusService({
    host: opts.host,
    appVersion: 'bench',
    appDataDir: appData,
    defaultProjectDir: opts.work,
    watch: false,
    trackRecent: false,
    resourcesDir: path.resolve('resources'),
    mlWorkerFile: fs.existsSync(worker) ? worker : null,
  });
  return { service, modelJson };
}
