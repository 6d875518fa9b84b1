import type { TrainApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';
import type { JobInfo, RunSummary, SplitGrouping, TrainConfig } from '../../../shared/types';
import { loadZoo } from '../ml/zoo';
import { RunStore } from '../train/run-store';
import { planFinetune } from '../train/finetune/finetune-run';
import { runTraining, type TrainDeps } from '../train/trainer';
import { activeBackend, initBackend } from '../ml/tf-runtime';
import type { ServiceContext } from './context';
import { requireLibrary } from './library-service';
import { preferredBackend, resolveEmbedModel, resolveRunModel } from './ml-service';
import { requireStore, retryInProject } from './project-service';
import type Database from 'better-sqlite3';
import { runEmbedding } from '../ml/embedder';
import { requireObject } from './validate';

const DEFAULTS: Omit<TrainConfig, 'baseModel'> = {
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
  unfreezeLayers: 4,
  warmupEpochs: 2,
  baseLearningRateFactor: 0.1,
  augmentation: { flip: true, crop: 0.85, rotation: 0, colour: 0.15 },
  viewsPerImage: 4,
  refit: 'auto',
  crossValidation: 0,
  // On by default: +1 to +2 points across artists in bench:accuracy, for twice the
  // prediction time (docs/PERFORMANCE.md).
  tta: true,
};

const HELP: Record<keyof TrainConfig, string> = {
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
    'Fine-tuning: how many weighted layers at the top of the base learn too (4 = the last block of MobileNetV2).',
  warmupEpochs: 'Fine-tuning: epochs that train the head alone before the base is unfrozen.',
  baseLearningRateFactor:
    'Fine-tuning: the unfrozen layers learn this much slower than the head, so they change gently.',
  augmentation:
    'Mirror, zoom into, rotate (degrees) and colour-jitter training images, against overfitting.',
  viewsPerImage:
    'Augmented versions kept per training image (the first is the image itself; 1 = none). Feature mode embeds each once.',
  refit:
    'After choosing the epochs on the validation split, train the released model again on every labelled image ("auto": below 3,000 images). The validation figures remain the estimate.',
  crossValidation:
    'Feature mode: k-fold cross-validation gives the estimate with its spread (0 = 5 folds below 1,000 images, 1 = off).',
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

/** The `train` domain: training runs on the open project. */
export function createTrainService(ctx: ServiceContext): TrainApi {
  const runs = () => new RunStore(requireStore(ctx).db);
  const trainDeps = (config: TrainConfig) => {
    const store = requireStore(ctx);
    const library = requireLibrary(ctx);
    const model = resolveEmbedModel(
      ctx,
      config.baseModel,
      ctx.options.resourcesDir ? loadZoo(ctx.options.resourcesDir) : [],
    );
    const deps: TrainDeps = {
      db: store.db,
      runs: runs(),
      model,
      embed: {
        cacheDir: library.cacheDir,
        rootPath: (rootId) => library.roots().find((r) => r.id === rootId)?.path ?? null,
        workerFile: ctx.options.mlWorkerFile ?? null,
        backend: preferredBackend(ctx),
      },
      onProgress: (p) => ctx.bus.emit('train:progress', p),
    };
    return { store, deps };
  };
  const api: TrainApi = {
    async defaults() {
      const zooFirst = ctx.options.resourcesDir
        ? loadZoo(ctx.options.resourcesDir)[0]?.id
        : undefined;
      const offline = ctx.models.list()[0]?.id;
      return { config: { ...DEFAULTS, baseModel: offline ?? zooFirst ?? '' }, help: HELP };
    },
    async start(input, options) {
      const config = validate(requireObject(input, 'config') as Partial<TrainConfig>);
      const title = cleanTitle(
        options === undefined ? null : requireObject(options, 'options')['title'],
      );
      const { store, deps } = trainDeps(config);
      const runStore = deps.runs;
      const runId = runStore.create(config, { title, baseName: baseNameOf(ctx, config.baseModel) });
      const retry = retryInProject(ctx, () => api.start(config, { title }).then(jobOf));
      const { info } = ctx.jobs.start(
        'train',
        `Training run ${runId}`,
        async (job) => {
          try {
            await runTraining(job, runId, config, deps);
            if (config.mode === 'finetune' && runStore.get(runId).status === 'done') {
              // A tuned network reads new features: embed the run's images with it now, so
              // evaluation (and its suggestions, heat maps, bundles) work as for feature runs.
              const run = runStore.get(runId);
              const tuned = await resolveRunModel(ctx, run);
              const split = runSplitHashes(store.db, runId);
              job.phase('Embedding the run’s images with the tuned network', split.size);
              await runEmbedding(job, {
                ...deps.embed,
                db: store.db,
                model: tuned,
                onlyHashes: split,
              });
            }
          } finally {
            if (store.db.open) ctx.bus.emit('train:run', named(runStore.get(runId)));
          }
        },
        0,
        { subject: String(runId), retry },
      );
      const summary = { ...named(runStore.get(runId)), jobId: info.id };
      ctx.bus.emit('train:run', summary);
      return summary;
    },
    async setTitle(runId, title) {
      if (typeof runId !== 'number')
        throw new OcellusError('INVALID_ARGUMENT', 'runId must be a number');
      const store = runs();
      store.setTitle(runId, cleanTitle(title));
      const run = named(store.get(runId));
      ctx.bus.emit('train:run', run);
      return run;
    },
    async plan(input) {
      const config = validate(requireObject(input, 'config') as Partial<TrainConfig>);
      if (config.mode !== 'finetune') {
        return {
          mode: config.mode,
          path: 'features',
          backend: activeBackend() ?? (await initBackend(preferredBackend(ctx))),
          cutLayer: null,
          cutShape: null,
          layers: [],
          cacheBytes: 0,
          images: 0,
          estimatedSeconds: 0,
          notes: ['Feature mode trains the head only, on cached embeddings.'],
        };
      }
      const { deps } = trainDeps(config);
      return planFinetune(config, deps);
    },
    async runs() {
      return runs().list().map(named);
    },
    async run(runId) {
      if (typeof runId !== 'number')
        throw new OcellusError('INVALID_ARGUMENT', 'runId must be a number');
      return named(runs().get(runId));
    },
  };
  /** Runs from before base names were recorded get the name the model has now. */
  const named = (run: RunSummary): RunSummary =>
    run.baseName ? run : { ...run, baseName: baseNameOf(ctx, run.config.baseModel) };
  const jobOf = async (run: RunSummary): Promise<JobInfo> => {
    const job = ctx.jobs.list().find((j) => j.id === run.jobId);
    if (!job) throw new OcellusError('INTERNAL', `Run ${run.id} started without a job`);
    return job;
  };
  return api;
}

/** The display name of a base model: its zoo or folder name, else its id. */
function baseNameOf(ctx: ServiceContext, id: string): string | null {
  const stored = ctx.models.find(id);
  if (stored) return stored.name;
  const zoo = ctx.options.resourcesDir ? loadZoo(ctx.options.resourcesDir) : [];
  return zoo.find((z) => z.id === id)?.name ?? null;
}

const TITLE_MAX = 200;

/** A run title as stored: trimmed, one line, at most 200 characters; blank is none. */
function cleanTitle(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string')
    throw new OcellusError('INVALID_ARGUMENT', 'A run title must be text');
  const t = value.replace(/\s+/g, ' ').trim();
  if (t.length > TITLE_MAX)
    throw new OcellusError('INVALID_ARGUMENT', `A run title has at most ${TITLE_MAX} characters`);
  return t || null;
}

function validate(c: Partial<TrainConfig>): TrainConfig {
  const out: TrainConfig = { ...DEFAULTS, baseModel: '', ...c } as TrainConfig;
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
  if (out.refit !== 'auto' && out.refit !== 'always' && out.refit !== 'never')
    throw new OcellusError('INVALID_ARGUMENT', 'refit is auto, always or never');
  out.tta = out.tta === true;
  const a: unknown = out.augmentation;
  if (typeof a !== 'object' || a === null)
    throw new OcellusError('INVALID_ARGUMENT', 'augmentation must be an object');
  const aug = { ...DEFAULTS.augmentation, ...(a as Partial<TrainConfig['augmentation']>) };
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

/** Content hashes of a run's train and validation images. */
function runSplitHashes(db: Database.Database, runId: number): Set<string> {
  const row = db.prepare('SELECT split FROM runs WHERE id = ?').get(runId) as
    { split: string | null } | undefined;
  const split = row?.split
    ? (JSON.parse(row.split) as { train: number[]; validation: number[] })
    : { train: [], validation: [] };
  const hashOf = db.prepare('SELECT hash FROM images WHERE id = ?').pluck();
  const out = new Set<string>();
  for (const id of [...split.train, ...split.validation]) {
    const h = hashOf.get(id) as string | null | undefined;
    if (h) out.add(h);
  }
  return out;
}
