import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import type { JobContext } from '../jobs/job-registry';
import { appendHead } from '../ml/onnx/onnx-head';
import { createSession, embeddingRows, loadOrt } from '../ml/onnx/onnx-engine';
import { OPSET } from '../ml/onnx/onnx-graph';
import { ONNX_PROBABILITIES } from '../ml/onnx/convert-layers';
import { VERIFY_TOLERANCE, verificationInputs } from '../ml/onnx/verify';
import { channelsFirst } from '../ml/preprocess';
import { initBackend } from '../ml/tf-runtime';
import { predictHead } from '../model/head';
import type { BundleDeps, BundleResult } from './bundle';
import { bundlePackageJson, folderBytes, preprocessingJson } from './bundle';
import { validationMetrics } from './bundle-metrics';
import { ONNX_FILE, type OnnxBundleInfo } from './bundle-onnx';
import { predictScript } from './bundle-predict-script';
import { addBundleDetector } from './bundle-detector';
import { modelCard } from './model-card';
import { zipFolder } from './zip';
import { bundleLabels } from './decision-rule';
import { checklistItems, checklistSection } from './reporting-checklist';
import { writeNewFile } from '../util/fs-atomic';
import { ensureOutDir } from './out-dir';
import { writeCmykProfile } from './cmyk-profile';

/** Why an ONNX base's bundle has no TF.js parts. */
export const NO_TFJS_REASON =
  'the base is an ONNX model, which TF.js cannot load: the bundle runs on ONNX Runtime only (predict.mjs, ocellus predict), and has no model/ folder and no index.html page (which runs TF.js in the browser)';

/**
 * A bundle of a run on an ONNX base: model.onnx is the base with the head appended (image in,
 * probabilities out), checked against the app's own path (the base's embedding on ONNX
 * Runtime, then the head on TF.js); then labels, preprocessing, metrics, model card,
 * predict.mjs and its package.json. The TF.js parts are left out, with the reason.
 */
// eslint-disable-next-line max-lines-per-function -- writes the bundle's files in the order its README lists them, each a short step.
export async function writeOnnxBaseBundle(job: JobContext, d: BundleDeps): Promise<BundleResult> {
  const io = d.model.onnx;
  if (!io) throw new OcellusError('INTERNAL', 'Not an ONNX base model');
  job.phase('Building the model', 4);
  await initBackend(d.backend);
  const [h, w] = d.model.preprocessing.inputSize;
  const nchw = io.layout === 'NCHW';
  const pixels = verificationInputs(2, h, w);
  const fed = nchw ? channelsFirst(pixels, 2, h, w) : pixels;
  const dims = nchw ? [2, 3, h, w] : [2, h, w, 3];
  const ort = await loadOrt();
  const baseBytes = fs.readFileSync(d.model.modelJson);
  const base = await createSession(baseBytes);
  let rank: number;
  let expected: Float32Array;
  try {
    const out = (await base.run({ [io.input]: new ort.Tensor('float32', fed, dims) }))[io.output];
    if (!out) throw new OcellusError('INVALID_ARGUMENT', `The base has no output ${io.output}`);
    rank = out.dims.length;
    expected = predictHead(d.head, embeddingRows(out.data as Float32Array, out.dims, 2));
  } finally {
    await base.release();
  }
  const bytes = appendHead(baseBytes, io, rank, d.head);
  const merged = await createSession(bytes);
  let diff = 0;
  try {
    const got = (await merged.run({ [io.input]: new ort.Tensor('float32', fed, dims) }))[
      ONNX_PROBABILITIES
    ]?.data as Float32Array | undefined;
    if (!got || got.length !== expected.length) diff = Infinity;
    else
      for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - expected[i]!));
  } finally {
    await merged.release();
  }
  if (!(diff < VERIFY_TOLERANCE)) {
    throw new OcellusError(
      'INTERNAL',
      `The bundled model.onnx differs from the app's classifier by ${diff} (limit ${VERIFY_TOLERANCE})`,
    );
  }
  ensureOutDir(d.out);
  writeNewFile(path.join(d.out, ONNX_FILE), bytes);
  const onnx: OnnxBundleInfo = {
    file: ONNX_FILE,
    input: io.input,
    output: ONNX_PROBABILITIES,
    layout: io.layout,
    shape: nchw ? [null, 3, h, w] : [null, h, w, 3],
    opset: OPSET,
    maxAbsDiffFromTfjs: diff,
  };
  job.progress(1);
  const write = (name: string, text: string) => writeNewFile(path.join(d.out, name), text);
  const json = (name: string, value: unknown) => write(name, `${JSON.stringify(value, null, 2)}\n`);
  json('labels.json', bundleLabels(d.db, d.run));
  json('preprocessing.json', {
    ...preprocessingJson(d.model.preprocessing, d.run.config.tta, onnx),
    tfjs: { included: false, reason: NO_TFJS_REASON },
  });
  const metrics = validationMetrics(d.db, d.run, d.estimateHead ?? d.head, d.model);
  json('metrics.json', {
    runId: d.run.id,
    bestEpoch: d.run.bestEpoch,
    best: d.run.best,
    estimate: d.run.estimate,
    validation: metrics,
    counts: d.run.counts,
    history: d.run.history,
  });
  job.progress(2);
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
      featureLayer: io.output,
      preprocessing: d.model.preprocessing,
      metrics,
      onnx,
      appVersion: d.appVersion,
      created: new Date().toISOString(),
      noTfjs: NO_TFJS_REASON,
      checklist: checklistSection(
        checklistItems(d.db, { run: d.run, metrics, baseName: d.baseName }),
      ),
    }),
  );
  write('predict.mjs', predictScript());
  // A TF.js graph detector needs TF.js even where the classifier is ONNX only.
  json(
    'package.json',
    bundlePackageJson(d.projectName, d.run.id, d.detector?.spec.format === 'graph'),
  );
  write('.npmrc', 'onnxruntime-node-install=skip\n');
  if (d.detector) await addBundleDetector(d.out, d.detector);
  job.progress(3);
  let zip: string | null = null;
  if (d.zip) {
    job.throwIfCancelled();
    zip = `${d.out.replace(/[\\/]+$/, '')}.zip`;
    zipFolder(d.out, zip);
  }
  job.progress(4);
  return { dir: d.out, zip, classes: d.run.classes.length, bytes: folderBytes(d.out) };
}
