import { OcellusError } from '../../../shared/errors';
import type { SplitGrouping, TrainConfig } from '../../../shared/types';

/** The settings a new run starts from (the base model is the first one available). */
export const TRAIN_DEFAULTS: Omit<TrainConfig, 'baseModel'> = {
  mode: 'features',
  hiddenUnits: 256,
  dropout: 0.2,
  epochs: 30,
  batchSize: 32,
  learningRate: 0.001,
  validationFraction: 0.2,
  groupBy: 'sequence',
  classWeighting: true,
  patience: 5,
  seed: 42,
  // 12 layers at 0.05 rather than 4 at 0.1: +2.0, +0.1, +2.2 and −0.9 points in
  // bench:accuracy's four settings (+0.9 on average), at the same time per run on the native
  // backend (docs/PERFORMANCE.md).
  unfreezeLayers: 12,
  warmupEpochs: 2,
  baseLearningRateFactor: 0.05,
  tunedShare: 1,
  // On by default: +1.1, +2.3, −0.1 and +3.3 points in bench:accuracy's four settings (3 seeds
  // each, 10 of 12 up) and a third of the spread over seeds (docs/PERFORMANCE.md).
  weightAveraging: true,
  augmentation: { flip: true, crop: 0.85, rotation: 0, colour: 0.15 },
  viewsPerImage: 4,
  refit: 'auto',
  crossValidation: 0,
  // On by default: +1 to +2 points across artists in bench:accuracy, for twice the
  // prediction time (docs/PERFORMANCE.md).
  tta: true,
};

/** What each setting does, as the Train view and `ocellus train --help` show it. */
export const TRAIN_HELP: Record<keyof TrainConfig, string> = {
  baseModel: 'The pre-trained network whose embeddings the classifier learns from.',
  mode: '"features" trains a small head on cached embeddings (seconds); "finetune" also adapts the top of the network.',
  hiddenUnits: 'Size of the hidden layer of the head; 256 suits most datasets.',
  dropout: 'Share of hidden units dropped at each step, against overfitting.',
  epochs: 'Passes over the training images at most (early stopping may end sooner).',
  batchSize: 'Images per training step.',
  learningRate: 'Step size of the Adam optimiser; lower is slower but steadier.',
  validationFraction: 'Share of images held out to measure the model honestly.',
  groupBy:
    'Keeps whole bursts (sequence), folders or cameras on one side of the split, so near-duplicates never inflate the score.',
  classWeighting: 'Counts rare classes as much as common ones.',
  patience: 'Stop after this many epochs without a better validation loss (0: never).',
  seed: 'Same data + same seed = the same run.',
  unfreezeLayers:
    "Fine-tuning: how many weighted layers at the top of the base learn too (12 = MobileNetV2 down to block 13's depthwise layer; 4 = its last block).",
  warmupEpochs: 'Fine-tuning: epochs that train the head alone before the base is unfrozen.',
  baseLearningRateFactor:
    'Fine-tuning: the unfrozen layers learn this much slower than the head, so they change gently.',
  tunedShare:
    'Fine-tuning: the released weights are this share of the tuned ones and the rest of those tuning started from (weight averaging, which keeps what the pre-trained network knew for images unlike the training set); 1 = tuned weights alone.',
  weightAveraging:
    'Fine-tuning: release the mean of the weights after every tuning step over the epochs whose validation loss is near the best, rather than the weights of the best epoch (flatter, and steadier on images unlike the training set).',
  augmentation:
    'Mirror, zoom into, rotate (degrees) and colour-jitter training images, against overfitting.',
  viewsPerImage:
    'Augmented versions kept per training image, or per crop in a box run (the first is the plain one; 1 = none). Feature mode embeds each once.',
  refit:
    'After choosing the epochs on the validation split, train the released model again on every labelled image ("auto": below 3,000 images in feature mode; fine-tuning refits only with "always"). The validation figures remain the estimate.',
  crossValidation:
    'Feature mode: k-fold cross-validation gives the estimate with its spread (0 = 5 folds below 1,000 images, 1 = off).',
  unit: '"image" learns from labelled images; "box" from the labelled boxes of images (their crops, with a margin), and predicts per box.',
  tta: 'Test-time augmentation: average the probabilities of each image and its mirror image, in the app and in every exported predictor.',
};

const GROUPS: SplitGrouping[] = ['none', 'sequence', 'folder', 'camera'];

/** A grouping is a built-in one or `meta:<key>` for an imported metadata column. */
function isGrouping(v: unknown): v is SplitGrouping {
  return (
    (typeof v === 'string' && (GROUPS as string[]).includes(v)) ||
    (typeof v === 'string' && /^meta:.+/.test(v))
  );
}

const TITLE_MAX = 200;

/** A run title as stored: trimmed, one line, at most 200 characters; blank is none. */
export function cleanRunTitle(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string')
    throw new OcellusError('INVALID_ARGUMENT', 'A run title must be text');
  const t = value.replace(/\s+/g, ' ').trim();
  if (t.length > TITLE_MAX)
    throw new OcellusError('INVALID_ARGUMENT', `A run title has at most ${TITLE_MAX} characters`);
  return t || null;
}

/** A training configuration with defaults filled in, or INVALID_ARGUMENT naming the bad setting. */
export function validateTrainConfig(c: Partial<TrainConfig>): TrainConfig {
  const out: TrainConfig = { ...TRAIN_DEFAULTS, baseModel: '', ...c } as TrainConfig;
  const num = (k: keyof TrainConfig, min: number, max: number, int = false) => {
    const v = out[k];
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v < min ||
      v > max ||
      (int && !Number.isInteger(v))
    ) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `${k} must be ${int ? 'an integer ' : ''}between ${min} and ${max}`,
      );
    }
  };
  if (typeof out.baseModel !== 'string' || !out.baseModel)
    throw new OcellusError('INVALID_ARGUMENT', 'Choose a base model');
  if (out.mode !== 'features' && out.mode !== 'finetune')
    throw new OcellusError('INVALID_ARGUMENT', 'mode is features or finetune');
  if (!isGrouping(out.groupBy))
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `groupBy is one of ${GROUPS.join(', ')}, or meta:<key> for an image metadata column`,
    );
  num('hiddenUnits', 1, 4096, true);
  num('dropout', 0, 0.9);
  num('epochs', 1, 1000, true);
  num('batchSize', 1, 4096, true);
  num('learningRate', 1e-6, 1);
  num('validationFraction', 0.05, 0.5);
  num('patience', 0, 1000, true);
  num('seed', 0, 2 ** 31, true);
  out.classWeighting = out.classWeighting !== false;
  num('unfreezeLayers', 1, 1000, true);
  num('warmupEpochs', 0, 1000, true);
  num('baseLearningRateFactor', 0, 10);
  num('viewsPerImage', 1, 16, true);
  num('crossValidation', 0, 10, true);
  num('tunedShare', 0, 1);
  if (out.refit !== 'auto' && out.refit !== 'always' && out.refit !== 'never')
    throw new OcellusError('INVALID_ARGUMENT', 'refit is auto, always or never');
  out.tta = out.tta === true;
  out.weightAveraging = out.weightAveraging !== false;
  out.unit ??= 'image';
  if (out.unit !== 'image' && out.unit !== 'box')
    throw new OcellusError('INVALID_ARGUMENT', 'unit is image or box');
  if (out.unit === 'box' && out.mode !== 'features')
    throw new OcellusError('INVALID_ARGUMENT', 'Box-level runs train in features mode');
  const a: unknown = out.augmentation;
  if (typeof a !== 'object' || a === null)
    throw new OcellusError('INVALID_ARGUMENT', 'augmentation must be an object');
  const aug = { ...TRAIN_DEFAULTS.augmentation, ...(a as Partial<TrainConfig['augmentation']>) };
  const inRange = (v: unknown, min: number, max: number) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
  if (!inRange(aug.crop, 0.3, 1))
    throw new OcellusError('INVALID_ARGUMENT', 'augmentation.crop must be between 0.3 and 1');
  if (!inRange(aug.rotation, 0, 45))
    throw new OcellusError('INVALID_ARGUMENT', 'augmentation.rotation must be between 0 and 45');
  if (!inRange(aug.colour, 0, 0.9))
    throw new OcellusError('INVALID_ARGUMENT', 'augmentation.colour must be between 0 and 0.9');
  out.augmentation = { ...aug, flip: aug.flip !== false };
  return out;
}
