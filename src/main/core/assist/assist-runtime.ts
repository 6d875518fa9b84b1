import path from 'node:path';
import type Database from 'better-sqlite3';
import { OcellusError } from '../../../shared/errors';
import type { HeatMap, SimilarResult } from '../../../shared/types';
import { modelInputPath } from '../library/model-input';
import { embeddingKey, type EmbedModel } from '../ml/embedder';
import { loadModelInput } from '../ml/preprocess';
import { initBackend, type BackendName } from '../ml/tf-runtime';
import type { RunStore } from '../train/run-store';
import { gradCam, loadSpatialBase, type SpatialBase } from './grad-cam';
import { PredictionStore } from './prediction-store';
import { loadMatrix, matrixStamp, nearest, type EmbeddingMatrix } from './similar';

/**
 * What the assist features keep between calls: the normalised embedding matrix for
 * similarity search and the loaded base model for heat maps. Both are rebuilt on demand.
 */
export class AssistRuntime {
  private matrix: EmbeddingMatrix | null = null;
  private base: { modelJson: string; featureOutput: string; loaded: Promise<SpatialBase> } | null =
    null;

  /** Forgets the cached matrix (another project). */
  reset(): void {
    this.matrix = null;
  }

  /** Releases the cached model. */
  dispose(): void {
    this.matrix = null;
    const base = this.base;
    this.base = null;
    void base?.loaded.then((b) => b.dispose()).catch(() => undefined);
  }

  /** Nearest images to one image by cosine similarity of embeddings under a model key. */
  async similar(
    db: Database.Database,
    modelKey: string,
    imageId: number,
    k: number,
  ): Promise<SimilarResult> {
    const started = performance.now();
    const stamp = matrixStamp(db, modelKey);
    if (!this.matrix || this.matrix.modelKey !== modelKey || this.matrix.stamp !== stamp) {
      this.matrix = loadMatrix(db, modelKey);
    }
    const m = this.matrix;
    const row = findRow(m.ids, imageId);
    if (row < 0) {
      throw new OcellusError(
        'NOT_FOUND',
        'This image has no embedding yet: compute embeddings (Train view) or train a run first',
      );
    }
    const items = await nearest(m, row, k);
    return {
      imageId,
      items,
      scanned: m.ids.length,
      milliseconds: Math.round(performance.now() - started),
    };
  }

  /** Grad-CAM of one image under a run's head and its (Layers) base model. */
  async heatMap(opts: {
    db: Database.Database;
    runs: RunStore;
    runId: number;
    model: EmbedModel;
    backend: BackendName | null;
    /** The image's original file and content hash (for its model-input cache). */
    image: { original: string; frame?: number; hash: string | null };
    cacheDir: string;
    classId?: number;
  }): Promise<Omit<HeatMap, 'imageId'>> {
    const run = opts.runs.get(opts.runId);
    const head = opts.runs.head(opts.runId);
    if (!head) throw new OcellusError('INVALID_ARGUMENT', `Run ${opts.runId} has no classifier`);
    if (opts.model.onnx) {
      throw new OcellusError(
        'UNSUPPORTED',
        'Heat maps need a Layers base model; this run’s base is an ONNX model',
      );
    }
    await initBackend(opts.backend);
    const base = await this.spatialBase(opts.model);
    let classIndex: number | undefined;
    if (opts.classId !== undefined) {
      const name = (
        opts.db.prepare('SELECT name FROM classes WHERE id = ?').get(opts.classId) as
          { name: string } | undefined
      )?.name;
      classIndex = name === undefined ? -1 : run.classes.findIndex((c) => c === name);
      if (classIndex < 0) {
        throw new OcellusError('INVALID_ARGUMENT', `Run ${opts.runId} did not learn that class`);
      }
    }
    const spec = { ...opts.model.preprocessing, inputSize: base.inputSize };
    const { original, frame, hash } = opts.image;
    const input = await loadModelInput(
      { original, frame, cache: hash ? modelInputPath(opts.cacheDir, hash, spec) : null },
      spec,
    );
    const cam = gradCam(base, head, input, classIndex);
    const className = run.classes[cam.classIndex] ?? '';
    const classRow = opts.db.prepare('SELECT id FROM classes WHERE name = ?').get(className) as
      { id: number } | undefined;
    return {
      runId: opts.runId,
      classId: classRow?.id ?? null,
      className,
      width: cam.width,
      height: cam.height,
      values: Array.from(cam.values, (v) => Math.round(v * 1000) / 1000),
      resize: opts.model.preprocessing.resize,
    };
  }

  private spatialBase(model: EmbedModel): Promise<SpatialBase> {
    if (
      this.base &&
      this.base.modelJson === model.modelJson &&
      this.base.featureOutput === model.featureOutput
    ) {
      return this.base.loaded;
    }
    this.dispose();
    const loaded = loadSpatialBase(model.modelJson, model.featureOutput);
    this.base = { modelJson: model.modelJson, featureOutput: model.featureOutput, loaded };
    loaded.catch(() => {
      if (this.base?.loaded === loaded) this.base = null;
    });
    return loaded;
  }
}

/** The embedding key similarity search uses: the current suggestions' run's, else the most used. */
export function similarityModelKey(
  db: Database.Database,
  runs: RunStore,
  resolve: (baseModel: string) => EmbedModel | null,
): string {
  const runId =
    new PredictionStore(db).currentTrainingRun() ??
    runs.list().find((r) => r.status === 'done')?.id;
  if (runId !== undefined) {
    const model = resolve(runs.get(runId).config.baseModel);
    if (model) return embeddingKey(model);
  }
  const row = db
    .prepare(
      'SELECT model_key FROM embeddings WHERE vector IS NOT NULL GROUP BY model_key ORDER BY COUNT(*) DESC LIMIT 1',
    )
    .get() as { model_key: string } | undefined;
  if (!row) {
    throw new OcellusError(
      'NOT_FOUND',
      'No embeddings yet: compute embeddings in the Train view first',
    );
  }
  return row.model_key;
}

/** An image's original file and content hash (which keys its model-input cache). */
export function imageSource(
  db: Database.Database,
  rootPath: (rootId: number) => string | null,
  imageId: number,
): { original: string; frame: number; hash: string | null } {
  const row = db
    .prepare(
      "SELECT root_id, rel_path, frame, hash FROM images WHERE id = ? AND missing = 0 AND status = 'ok'",
    )
    .get(imageId) as
    { root_id: number; rel_path: string; frame: number; hash: string | null } | undefined;
  if (!row) throw new OcellusError('NOT_FOUND', `No readable image with id ${imageId}`);
  const root = rootPath(row.root_id);
  if (!root) throw new OcellusError('NOT_FOUND', 'The image’s folder is not there');
  return {
    original: path.join(root, ...row.rel_path.split('/')),
    frame: row.frame,
    hash: row.hash,
  };
}

function findRow(ids: Int32Array, id: number): number {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = ids[mid] as number;
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
