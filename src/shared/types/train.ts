/** Training: configuration, plans, runs and their estimate. */

/** `meta:<key>` groups by an imported image metadata column (patient id, eye…). */
export type SplitGrouping = 'none' | 'sequence' | 'folder' | 'camera' | `meta:${string}`;
export type TrainMode = 'features' | 'finetune';
/** What a run learns from: whole images, or the labelled boxes of images (their crops). */
export type TrainUnit = 'image' | 'box';

export interface TrainConfig {
  baseModel: string;
  mode: TrainMode;
  hiddenUnits: number;
  dropout: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  validationFraction: number;
  groupBy: SplitGrouping;
  classWeighting: boolean;
  patience: number;
  seed: number;
  /** Fine-tuning: weighted layers (conv, depthwise, dense) unfrozen from the top of the base. */
  unfreezeLayers: number;
  /** Fine-tuning: epochs that train the head alone, base frozen, before unfreezing. */
  warmupEpochs: number;
  /** Fine-tuning: the unfrozen base layers learn at learningRate × this. */
  baseLearningRateFactor: number;
  /**
   * Fine-tuning: share of the tuned weights in the released model, the rest being the weights
   * tuning started from (the base's layers and the warmed-up head); 1 = the tuned weights alone.
   */
  tunedShare?: number;
  /**
   * Fine-tuning: release the mean of the weights after each tuning step, over the epochs whose
   * validation loss is near the best (dense weight averaging, as in SWAD).
   */
  weightAveraging?: boolean;
  /** Random changes to training images (both modes), against overfitting. */
  augmentation: AugmentationConfig;
  /** Augmented views cached per training image (view 0 is the plain image; 1 = no augmentation). */
  viewsPerImage: number;
  /**
   * After the epochs are chosen on the validation split, train the released model again on
   * every labelled image for that many epochs. 'auto': below REFIT_AUTO_LIMIT images in
   * feature mode; fine-tuning refits only when 'always'.
   */
  refit: 'auto' | 'always' | 'never';
  /** k-fold cross-validation of the estimate (feature mode): 0 = auto (5 below 1,000 images), 1 = off. */
  crossValidation: number;
  /** Test-time augmentation: average the probabilities of the image and its mirror image. */
  tta: boolean;
  /** What the run learns from and predicts (absent: 'image', as for runs made before boxes). */
  unit?: TrainUnit;
}

/** Below this many labelled images, refit: 'auto' trains the released model on all of them. */
export const REFIT_AUTO_LIMIT = 3000;

/** What a run's validation figures say about the released model, and how it was made. */
export interface RunEstimate {
  /** Accuracy on the validation split at the chosen epoch (the head that saw only the training side). */
  accuracy: number | null;
  /** 95 % interval of that accuracy (Wilson score interval), or null without validation images. */
  interval: [number, number] | null;
  validationImages: number;
  /** How the number of epochs was chosen. */
  epochChoice: 'early-stopping' | 'fixed';
  /** Epochs the released model trained. */
  epochs: number;
  /** k-fold cross-validation, when it ran: accuracy per fold, their mean and standard deviation. */
  crossValidation: {
    folds: { accuracy: number; images: number; epochs: number }[];
    mean: number;
    sd: number;
  } | null;
  /** The released model was trained again on every labelled image (else on the training side only). */
  refit: { images: number; epochs: number } | null;
  /** Classes with fewer than SMALL_CLASS images in all: their figures are the least reliable. */
  smallClasses: { name: string; images: number }[];
  /** Augmented views per training image and test-time flip averaging. */
  views: number;
  tta: boolean;
  notes: string[];
}

/** A class with fewer labelled images than this is flagged as unreliable. */
export const SMALL_CLASS = 20;

export interface AugmentationConfig {
  flip: boolean;
  /** Random crop/zoom: the share of the side kept, at least (1 = off). */
  crop: number;
  /** Random rotation, up to this many degrees either way (0 = off). */
  rotation: number;
  /** Brightness/contrast/saturation jitter, up to ± this share (0 = off). */
  colour: number;
}

/** What a fine-tuning run will do, said before it starts. */
export interface TrainPlan {
  mode: TrainMode;
  /** 'cached' trains from activations cached at the cut; 'full' streams images through the network. */
  path: 'features' | 'cached' | 'full';
  backend: string;
  /** Layer whose output is cached (cached path). */
  cutLayer: string | null;
  cutShape: number[] | null;
  /** Weighted layers above the cut, top first, and whether each trains. */
  layers: { name: string; kind: string; trains: boolean; reason: string | null }[];
  /** Bytes of the activation cache for the labelled images and views. */
  cacheBytes: number;
  images: number;
  /** Rough duration of the whole run, including caching activations. */
  estimatedSeconds: number;
  notes: string[];
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
}

export type RunStatus = 'running' | 'done' | 'cancelled' | 'failed';

export interface RunSummary {
  id: number;
  status: RunStatus;
  error: string | null;
  config: TrainConfig;
  backend: string | null;
  classes: string[];
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
  bestEpoch: number | null;
  best: EpochMetrics | null;
  history: EpochMetrics[];
  counts: {
    train: number;
    validation: number;
    perClass: { name: string; train: number; validation: number }[];
    excludedUnlabelled: number;
    excludedUnreadable: number;
    excludedNoEmbedding: number;
  };
  /** Identical contents found on both sides of the split. */
  leakedContents: number;
  /** What the validation figures estimate and what the released model learnt from (null: older runs). */
  estimate: RunEstimate | null;
  jobId: string | null;
  /** A name people gave the run, or null. */
  title: string | null;
  /** The base model's display name (null for runs whose base is no longer known by name). */
  baseName: string | null;
}

export interface TrainProgress {
  runId: number;
  epoch: number;
  batch: number;
  batches: number;
  /** Smoothed over recent batches. */
  loss: number;
  accuracy: number;
  /** Set at the end of an epoch. */
  epochMetrics: EpochMetrics | null;
}
