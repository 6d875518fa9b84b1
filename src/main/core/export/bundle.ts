import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { RunSummary } from '../../../shared/types';
import type { JobContext } from '../jobs/job-registry';
import type { EmbedModel } from '../ml/embedder';
import { findFeatureLayer } from '../ml/feature-model';
import { initBackend, type BackendName } from '../ml/tf-runtime';
import type { HeadWeights } from '../model/head';
import { validationMetrics } from './bundle-metrics';
import { buildClassifier, type TrainedParts } from './bundle-model';
import { saveModel } from '../ml/model-io';
import { writeOnnxClassifier, type OnnxBundleInfo } from './bundle-onnx';
import type { PreprocessingSpec } from '../ml/zoo-types';
import { bundlePage } from './bundle-page';
import { predictScript } from './bundle-predict-script';
import { addBundleDetector } from './bundle-detector';
import { modelCard } from './model-card';
import { zipFolder } from './zip';
import type { DetectorSpec } from '../detect/detector-spec';
import { bundleLabels } from './decision-rule';
import { checklistItems, checklistSection } from './reporting-checklist';
import { writeNewFile } from '../util/fs-atomic';
import { ensureOutDir } from './out-dir';
import { writeCmykProfile } from './cmyk-profile';

const nodeRequire = createRequire(import.meta.url);

export interface BundleDeps {
  db: Database.Database;
  run: RunSummary;
  head: HeadWeights;
  /** The head the validation metrics are measured with (see RunStore.estimateHead); default `head`. */
  estimateHead?: HeadWeights | null;
  model: EmbedModel;
  baseName: string;
  licence: string;
  projectName: string;
  appVersion: string;
  backend: BackendName | null;
  /** An empty or absent folder. */
  out: string;
  zip: boolean;
  /** A detector to run first (detect → crop → classify), with its threshold. */
  detector?: { spec: DetectorSpec; threshold: number } | null;
  /** Extra trained weights of the base (fine-tuned runs), when there are any. */
  baseOverrides?: TrainedParts['baseOverrides'];
}

export interface BundleResult {
  dir: string;
  zip: string | null;
  classes: number;
  bytes: number;
}

const STEPS = 6;

/**
 * Writes a run's model bundle: model/ (one TF.js Layers model, image in, probabilities
 * out), labels.json, preprocessing.json, metrics.json, MODEL_CARD.md, predict.mjs with its
 * package.json, and index.html with model.js and tf.min.js beside it; optionally a .zip.
 */
// eslint-disable-next-line max-lines-per-function -- writes the bundle's files in the order its README lists them, each a short step.
export async function writeBundle(job: JobContext, d: BundleDeps): Promise<BundleResult> {
  job.phase('Building the model', STEPS);
  await initBackend(d.backend);
  const classifier = await buildClassifier(d.model, {
    head: d.head,
    baseOverrides: d.baseOverrides,
  });
  let featureLayer = d.model.featureOutput;
  try {
    featureLayer = findFeatureLayer(classifier, d.model.featureOutput).name;
  } catch {
    // The name is only reported in the model card; the model itself is built.
  }
  job.throwIfCancelled();
  ensureOutDir(d.out);
  const saved = await saveModel(classifier, path.join(d.out, 'model'));
  const onnx = await writeOnnxClassifier(
    d.out,
    d.model,
    { head: d.head, baseOverrides: d.baseOverrides },
    classifier,
  );
  classifier.dispose();
  job.progress(1);

  const write = (name: string, text: string) => writeNewFile(path.join(d.out, name), text);
  const json = (name: string, value: unknown) => write(name, `${JSON.stringify(value, null, 2)}\n`);
  json('labels.json', bundleLabels(d.db, d.run));
  json('preprocessing.json', preprocessingJson(d.model.preprocessing, d.run.config.tta, onnx));
  const metrics = validationMetrics(d.db, d.run, d.estimateHead ?? d.head, d.model);
  json('metrics.json', {
    runId: d.run.id,
    bestEpoch: d.run.bestEpoch,
    best: d.run.best,
    validation: metrics,
    counts: d.run.counts,
    history: d.run.history,
  });
  job.progress(2);
  const created = new Date().toISOString();
  // The card's Python snippet converts a profile-less CMYK picture with the app's own profile.
  if (onnx.file !== null) await writeCmykProfile(d.out);
  write(
    'MODEL_CARD.md',
    modelCard({
      run: d.run,
      projectName: d.projectName,
      baseName: d.baseName,
      baseId: d.model.id,
      licence: d.licence,
      featureLayer,
      preprocessing: d.model.preprocessing,
      metrics,
      onnx,
      appVersion: d.appVersion,
      created,
      checklist: checklistSection(
        checklistItems(d.db, { run: d.run, metrics, baseName: d.baseName }),
      ),
    }),
  );
  write('predict.mjs', predictScript());
  json('package.json', bundlePackageJson(d.projectName, d.run.id, true));
  // onnxruntime-node's install script would fetch CUDA libraries from the internet on Linux x64.
  write('.npmrc', 'onnxruntime-node-install=skip\n');
  if (d.detector) await addBundleDetector(d.out, d.detector);
  job.progress(3);

  write('index.html', bundlePage({ ...d, created }));
  fs.copyFileSync(
    path.join(
      path.dirname(nodeRequire.resolve('@tensorflow/tfjs/package.json')),
      'dist',
      'tf.min.js',
    ),
    path.join(d.out, 'tf.min.js'),
    fs.constants.COPYFILE_EXCL,
  );
  // A script, not a fetch: pages opened from file:// may not fetch files beside them.
  write(
    'model.js',
    `window.OCELLUS_BUNDLE = ${JSON.stringify({
      model: saved.modelJson,
      weights: saved.weights.toString('base64'),
      labels: bundleLabels(d.db, d.run),
      preprocessing: d.model.preprocessing,
    })};\n`,
  );
  job.progress(4);
  let zip: string | null = null;
  if (d.zip) {
    job.throwIfCancelled();
    zip = `${d.out.replace(/[\\/]+$/, '')}.zip`;
    zipFolder(d.out, zip);
  }
  job.progress(5);
  return { dir: d.out, zip, classes: d.run.classes.length, bytes: folderBytes(d.out) };
}

/**
 * preprocessing.json: the input geometry and normalisation, the pixel pipeline in words (for
 * anyone feeding model.onnx from other code), test-time augmentation, and model.onnx's I/O.
 */
export function preprocessingJson(
  spec: PreprocessingSpec,
  tta: boolean,
  onnx: OnnxBundleInfo,
): Record<string, unknown> {
  return {
    ...spec,
    pipeline: [
      'decode the file (first frame); apply its EXIF orientation',
      'flatten transparency on white (#ffffff)',
      `resize to ${spec.inputSize[1]}×${spec.inputSize[0]} (width×height) with a bicubic kernel: ${
        spec.resize === 'center-crop'
          ? 'scale to cover, then crop the centre'
          : spec.resize === 'letterbox'
            ? 'scale to fit, pad with black, centred'
            : 'stretch to the size'
      }`,
      'convert to 8-bit sRGB, 3 channels (RGB order)',
      'normalise the values as in "normalization"',
    ],
    tta: tta ? 'flip' : 'none',
    ttaNote: tta
      ? 'Probabilities are the mean of the image and its left–right mirror (the normalised input flipped), as the app computes them.'
      : undefined,
    onnx,
  };
}

/** The bundle's own package.json: what predict.mjs needs, pinned as the app pins them. */
export function bundlePackageJson(
  projectName: string,
  runId: number,
  withTfjs: boolean,
): Record<string, unknown> {
  const version = (pkg: string) => installedVersion(pkg) ?? '*';
  return {
    name: `ocellus-model-run-${runId}`,
    private: true,
    description: `Image classifier exported by Ocellus from ${projectName}`,
    type: 'module',
    scripts: { predict: 'node predict.mjs' },
    engines: { node: '>=20' },
    dependencies: {
      'onnxruntime-node': version('onnxruntime-node'),
      sharp: version('sharp'),
      // DICOM: the app's decoders (their WebAssembly codecs come with them).
      'dcmjs-imaging': version('dcmjs-imaging'),
      'dcmjs-codecs': version('dcmjs-codecs'),
      ...(withTfjs ? { '@tensorflow/tfjs': version('@tensorflow/tfjs') } : {}),
    },
    ...(withTfjs
      ? { optionalDependencies: { '@tensorflow/tfjs-node': version('@tensorflow/tfjs') } }
      : {}),
  };
}

/**
 * The version of an installed package, or null. Found from its resolved entry point upwards,
 * since packages whose `exports` leave out package.json (sharp) refuse `require('x/package.json')`.
 */
export function installedVersion(pkg: string): string | null {
  let dir: string;
  try {
    dir = path.dirname(nodeRequire.resolve(pkg));
  } catch {
    return null;
  }
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (json.name === pkg && json.version) return json.version;
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Bytes of every file under a folder. */
export function folderBytes(dir: string): number {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .reduce(
      (n, e) =>
        n +
        (e.isDirectory()
          ? folderBytes(path.join(dir, e.name))
          : fs.statSync(path.join(dir, e.name)).size),
      0,
    );
}
