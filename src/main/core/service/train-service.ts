import type { TrainApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { TrainConfig } from '../../../shared/types';
import { RunStore } from '../train/run-store';
import { planFinetune } from '../train/finetune/finetune-plan';
import { activeBackend, initBackend } from '../ml/tf-runtime';
import type { Workspace } from './workspace';
import {
  TRAIN_DEFAULTS,
  TRAIN_HELP,
  cleanRunTitle,
  validateTrainConfig,
} from '../train/train-config';
import { requireObject } from './validate';
import { requireMetadataKeys } from '../library/image-metadata';

/** The `train` domain: training runs on the open project. */
export function createTrainService(ctx: Workspace): TrainApi {
  const runs = () => new RunStore(ctx.requireStore().db);
  const api: TrainApi = {
    async defaults() {
      const zooFirst = ctx.models.zoo()[0]?.id;
      const offline = ctx.models.stored.list()[0]?.id;
      return {
        config: { ...TRAIN_DEFAULTS, baseModel: offline ?? zooFirst ?? '' },
        help: TRAIN_HELP,
      };
    },
    async start(input, options) {
      const config = validateTrainConfig(requireObject(input, 'config') as Partial<TrainConfig>);
      if (config.groupBy.startsWith('meta:'))
        requireMetadataKeys(ctx.requireStore().db, [config.groupBy.slice(5)]);
      const title = cleanRunTitle(
        options === undefined ? null : requireObject(options, 'options')['title'],
      );
      return ctx.startTraining(config, title);
    },
    async setTitle(runId, title) {
      if (typeof runId !== 'number')
        throw new OcellusError('INVALID_ARGUMENT', 'runId must be a number');
      const store = runs();
      store.setTitle(runId, cleanRunTitle(title));
      const run = ctx.namedRun(store.get(runId));
      ctx.bus.emit('train:run', run);
      return run;
    },
    async plan(input) {
      const config = validateTrainConfig(requireObject(input, 'config') as Partial<TrainConfig>);
      if (config.mode !== 'finetune') {
        return {
          mode: config.mode,
          path: 'features',
          backend: activeBackend() ?? (await initBackend(ctx.backend())),
          cutLayer: null,
          cutShape: null,
          layers: [],
          cacheBytes: 0,
          images: 0,
          estimatedSeconds: 0,
          notes: ['Feature mode trains the head only, on cached embeddings.'],
        };
      }
      return planFinetune(config, ctx.trainDeps(config));
    },
    async runs() {
      return runs()
        .list()
        .map((run) => ctx.namedRun(run));
    },
    async run(runId) {
      if (typeof runId !== 'number')
        throw new OcellusError('INVALID_ARGUMENT', 'runId must be a number');
      return ctx.namedRun(runs().get(runId));
    },
  };
  return api;
}
