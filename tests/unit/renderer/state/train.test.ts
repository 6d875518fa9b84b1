import { describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../../../src/shared/types';
import { PROJECT, settle, startStates } from './fake-client';

const DEFAULTS: TrainConfig = {
  baseModel: 'mobilenet-v2',
  mode: 'features',
  hiddenUnits: 256,
  dropout: 0.2,
  epochs: 20,
  batchSize: 32,
  learningRate: 0.001,
  validationFraction: 0.2,
  groupBy: 'sequence',
  classWeighting: true,
  patience: 5,
  seed: 42,
  unfreezeLayers: 20,
  warmupEpochs: 3,
  baseLearningRateFactor: 0.1,
  augmentation: { flip: true, crop: 0.9, rotation: 10, colour: 0.1 },
  viewsPerImage: 1,
  refit: 'auto',
  crossValidation: 0,
  tta: false,
};

async function loaded() {
  const { states, api } = await startStates({
    'project.current': PROJECT,
    'project.status': null,
    'train.defaults': { config: DEFAULTS, help: {} },
    'library.metadataKeys': [],
    'train.runs': [],
  });
  await states.training.load();
  return { training: states.training, app: states.app, api };
}

describe('TrainState', () => {
  it('counts the settings changed from the defaults, leaving out the base model and mode', async () => {
    const { training, app } = await loaded();
    const config = training.config;
    expect(config).not.toBeNull();
    if (!config) return;
    expect(training.changed).toEqual([]);

    config.baseModel = 'inception-v3';
    config.mode = 'finetune';
    expect(training.changed).toEqual([]);
    config.epochs = 40;
    config.augmentation.rotation = 0;
    expect(training.changed).toEqual(['epochs', 'augmentation']);

    training.resetAdvanced();
    expect(training.changed).toEqual([]);
    expect([training.config?.baseModel, training.config?.mode]).toEqual([
      'inception-v3',
      'finetune',
    ]);
    // The defaults themselves were not edited through the form.
    expect(training.defaults?.epochs).toBe(20);
    expect(app.error).toBeNull();
  });

  it('sends the form as it is when training starts, under its title', async () => {
    const { training, api } = await loaded();
    api.answer({ 'train.start': { id: 3 } });
    training.title = '  first try ';
    if (training.config) training.config.epochs = 5;
    await training.start('resnet50');
    const [config, options] = api.callsOf('train.start')[0] ?? [];
    expect(config).toMatchObject({ baseModel: 'resnet50', epochs: 5, mode: 'features' });
    expect(options).toEqual({ title: 'first try' });
    expect(training.shownRun).toBe(3);
  });

  it('keeps one point per epoch and one per batch step of the shown run', async () => {
    const { training, api } = await loaded();
    api.answer({ 'train.start': { id: 3 } });
    await training.start(null);
    const batch = { runId: 3, epoch: 2, batches: 10, batch: 4, loss: 0.5, accuracy: 0.8 };
    api.emit('train:progress', batch as never);
    api.emit('train:progress', { ...batch, runId: 4 } as never);
    expect(training.batches).toEqual([{ step: 14, loss: 0.5, accuracy: 0.8 }]);
    const epoch = { epoch: 2, loss: 0.4 };
    api.emit('train:progress', { ...batch, epochMetrics: epoch } as never);
    api.emit('train:progress', { ...batch, epochMetrics: { ...epoch, loss: 0.3 } } as never);
    expect(training.epochs).toEqual([{ epoch: 2, loss: 0.3 }]);
  });

  it('asks once for the split of a run that trains, so its images are not "0 / 0"', async () => {
    const running = { id: 5, status: 'running', counts: { train: 0, validation: 0 } };
    const { training, api } = await startStates({
      'project.current': PROJECT,
      'project.status': null,
      'train.defaults': { config: DEFAULTS, help: {} },
      'library.metadataKeys': [],
      'train.runs': [running],
    }).then(async (s) => {
      await s.states.training.load();
      return { training: s.states.training, api: s.api };
    });
    const before = api.callsOf('train.runs').length;
    api.answer({ 'train.runs': [{ ...running, counts: { train: 8, validation: 2 } }] });
    const batch = { runId: 5, epoch: 1, batches: 2, batch: 1, loss: 0.5, accuracy: 0.5 };
    api.emit('train:progress', batch as never);
    api.emit('train:progress', { ...batch, batch: 2 } as never);
    await settle();
    expect(api.callsOf('train.runs').length).toBe(before + 1);
    expect(training.runs[0]?.counts.train).toBe(8);
  });
});
