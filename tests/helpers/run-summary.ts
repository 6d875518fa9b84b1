import type { RunSummary, TrainUnit } from '../../src/shared/types';
import { TRAIN_DEFAULTS } from '../../src/main/core/train/train-config';

/** A finished run of two classes (deer, fox; fox small) with every field a model card reads. */
export function runSummary(unit: TrainUnit = 'image'): RunSummary {
  const best = { epoch: 6, trainLoss: 0.2, trainAccuracy: 0.9, valLoss: 0.4, valAccuracy: 0.8 };
  return {
    id: 3,
    status: 'done',
    error: null,
    config: { ...TRAIN_DEFAULTS, baseModel: 'mobilenet-v2', unit },
    backend: 'cpu',
    classes: ['deer', 'fox'],
    startedAt: '2026-06-01T10:00:00.000Z',
    finishedAt: '2026-06-01T10:01:00.000Z',
    durationSeconds: 60,
    bestEpoch: 6,
    best: { ...best, seconds: 2 },
    history: [{ ...best, seconds: 2 }],
    counts: {
      train: 124,
      validation: 31,
      perClass: [
        { name: 'deer', train: 118, validation: 29 },
        { name: 'fox', train: 6, validation: 2 },
      ],
      excludedUnlabelled: unit === 'box' ? 0 : 17,
      excludedUnreadable: unit === 'box' ? 0 : 5,
      excludedNoEmbedding: 2,
    },
    leakedContents: 0,
    estimate: {
      accuracy: 0.8,
      interval: [0.63, 0.91],
      validationImages: 31,
      epochChoice: 'early-stopping',
      epochs: 6,
      crossValidation: null,
      refit: { images: 155, epochs: 6 },
      smallClasses: [{ name: 'fox', images: 8 }],
      views: 4,
      tta: true,
      notes: [],
    },
    jobId: null,
    title: null,
    baseName: 'MobileNetV2',
  };
}
