import { CROP_MARGIN } from '../../../shared/crop';
import type { RunSummary } from '../../../shared/types';
import { pythonOpen, pythonResize, pythonResizeDefs } from './python-resize';
import type { PreprocessingSpec } from '../ml/zoo-types';
import type { ValidationMetrics } from './bundle-metrics';
import type { OnnxBundleInfo } from './bundle-onnx';
import { runUnit } from './run-unit';
import { CMYK_PROFILE_FILE } from './cmyk-profile';

export interface ModelCardInput {
  run: RunSummary;
  projectName: string;
  baseName: string;
  baseId: string;
  licence: string;
  featureLayer: string;
  preprocessing: PreprocessingSpec;
  metrics: ValidationMetrics;
  onnx: OnnxBundleInfo;
  appVersion: string;
  created: string;
  /** Set when the bundle has no TF.js model (an ONNX base): why. */
  noTfjs?: string;
  /** The reporting checklist section (export/reporting-checklist.ts), appended at the end. */
  checklist?: string;
}

/** What a box-level run's model takes: crops by the shared rule, and the counts are boxes. */
function boxUnitLine(run: RunSummary): string {
  if (run.config.unit !== 'box') return '';
  return `
- **Box-level model**: trained and evaluated on the crops of labelled boxes, one item per box (the
  counts below are boxes, not images). Feed it crops, not whole images: each box grown by
  ${CROP_MARGIN * 100} % of its width on the left and right and of its height above and below, clipped to the
  image, cut from the EXIF-oriented image, then preprocessed like a whole image.`;
}

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);

/** MODEL_CARD.md: what the model is, what it learnt from, how well, and where it fails. */
export function modelCard(c: ModelCardInput): string {
  const { run, metrics, preprocessing: p } = c;
  const cfg = run.config;
  const u = runUnit(run);
  const norm =
    p.normalization.kind === 'range'
      ? `pixel values scaled to [${p.normalization.min}, ${p.normalization.max}]`
      : p.normalization.kind === 'mean-std'
        ? `(x / 255 − mean) / std, mean ${p.normalization.mean.join(', ')}, std ${p.normalization.std.join(', ')}`
        : `per-channel means ${p.normalization.mean.join(', ')} subtracted${p.normalization.bgr ? ', BGR order' : ''}`;
  const counts = run.counts.perClass
    .map((k) => `| ${k.name} | ${k.train} | ${k.validation} |`)
    .join('\n');
  const perClass = metrics.perClass
    .map(
      (m) =>
        `| ${m.class} | ${pct(m.precision)} | ${pct(m.recall)} | ${pct(m.f1)} | ${m.support} |`,
    )
    .join('\n');
  return `# Model card: ${c.projectName}, run ${run.id}

${cfg.unit === 'box' ? "Classifier of detected boxes (each box's crop)" : 'Image classifier'} exported by Ocellus ${c.appVersion} on ${c.created}.
Classes (${run.classes.length}): ${run.classes.join(', ')}.

## Model

- Base network: **${c.baseName}** (\`${c.baseId}\`), cut at \`${c.featureLayer}\`, pre-trained on ImageNet.
  Licence of the base model: ${c.licence}.
- Head trained by Ocellus: global average pooling → Dense ${cfg.hiddenUnits} ReLU → Dense ${run.classes.length} softmax
  (dropout ${cfg.dropout} while training). Training mode: ${cfg.mode}.${boxUnitLine(run)}
${
  c.noTfjs
    ? `- No TF.js model in this bundle: ${c.noTfjs}.`
    : `- One TF.js Layers model (\`model/model.json\`): an image tensor [n, ${p.inputSize[0]}, ${p.inputSize[1]}, 3] in, class
  probabilities out, in the order of \`labels.json\`.`
}
- Preprocessing (\`preprocessing.json\`): EXIF orientation applied, transparency on white, resized to
  ${p.inputSize[1]}×${p.inputSize[0]} by ${p.resize} (bicubic), ${norm}.

${onnxSection(c.onnx, p, cfg.tta === true, cfg.unit === 'box')}

${estimateSection(run)}

## Data

${run.counts.train} training and ${run.counts.validation} validation ${u.many}, each with one human label
(model suggestions are never training truth). ${leftOut(run)}

| class | train | validation |
| ----- | ----- | ---------- |
${counts}

Split: stratified, grouped by **${cfg.groupBy}** (whole groups stay on one side), ${Math.round(cfg.validationFraction * 100)} % held out, seed ${cfg.seed}.
Identical files found on both sides: ${run.leakedContents}.

## Validation metrics (the estimate)

Best epoch ${run.bestEpoch ?? '–'} of ${run.history.length}: validation loss ${run.best?.valLoss.toFixed(4) ?? '–'}, accuracy ${pct(run.best?.valAccuracy ?? null)}.
Recomputed on ${metrics.images} validation ${u.many} with their current labels, by the model trained without them: accuracy ${pct(metrics.accuracy)}.

| class | precision | recall | F1 | ${u.many} |
| ----- | --------- | ------ | -- | ${'-'.repeat(u.many.length)} |
${perClass}

## Training configuration

Epochs ≤ ${cfg.epochs} (early stopping patience ${cfg.patience}), batch size ${cfg.batchSize}, Adam learning rate ${cfg.learningRate},
class weighting ${cfg.classWeighting ? 'on' : 'off'}, backend ${run.backend ?? 'unknown'}, trained ${run.startedAt}${run.durationSeconds !== null ? ` in ${run.durationSeconds.toFixed(0)} s` : ''}.

## Intended use

Sorting and pre-labelling images like those of this project (same cameras, sites, subjects and
conditions), with a person checking the results. Not for decisions about people, and not for
clinical diagnosis without a proper validation study.

## Limitations

- The validation set is small (${run.counts.validation} ${u.many}) and from the same project: expect lower accuracy on other
  cameras, places, seasons or devices. Classes with few ${u.many} are the least reliable.
- It always answers with one of its ${run.classes.length} classes, even for ${u.seen}s unlike any it has seen.
- Probabilities are not calibrated; check a threshold on your own data before trusting them.
- \`predict.mjs\` reproduces the app's preprocessing exactly (sharp)${
    c.noTfjs
      ? '.'
      : `. \`index.html\` resizes in the browser's canvas,
  so its probabilities can differ slightly from the app's.`
  }
${c.checklist ? `\n${c.checklist}` : ''}`;
}

/** What the model is: what it learnt from and what the validation figures estimate. */
export function estimateSection(run: RunSummary): string {
  const e = run.estimate;
  if (!e)
    return '## What this model is\n\nTrained before Ocellus recorded its estimate: see the validation metrics below.';
  const u = runUnit(run);
  const lines: string[] = [];
  const interval = e.interval
    ? ` (95 % interval ${pct(e.interval[0])} – ${pct(e.interval[1])}, ${e.validationImages} validation ${u.many})`
    : '';
  lines.push(
    `- **Estimated accuracy: ${pct(e.accuracy)}**${interval}, measured on the validation split by the model trained without it.`,
  );
  if (e.crossValidation) {
    const cv = e.crossValidation;
    lines.push(
      `- ${cv.folds.length}-fold cross-validation: ${pct(cv.mean)} ± ${pct(cv.sd)} (mean ± standard deviation over folds: ${cv.folds.map((f) => pct(f.accuracy)).join(', ')}).`,
    );
  }
  lines.push(
    e.refit
      ? `- The released model was then trained again on **all ${e.refit.images} labelled ${u.many}** for ${e.refit.epochs} epochs (the number chosen on the validation split), so it has seen the validation ${u.many}: the figures above are its estimate, not a measurement of it.`
      : `- The released model is the one measured: it learnt from the ${run.counts.train} training ${u.many} only (${e.epochs} epochs).`,
  );
  lines.push(
    e.epochChoice === 'fixed'
      ? `- Epochs: ${e.epochs}, fixed, not chosen by the validation loss.`
      : `- Epochs: ${e.epochs}, chosen by the lowest validation loss (early stopping).`,
  );
  if (e.views > 1)
    lines.push(
      run.config.unit === 'box'
        ? `- Trained on ${e.views} views per training box (its crop and ${e.views - 1} augmented copies of the crop).`
        : `- Trained on ${e.views} views per training image (the image and ${e.views - 1} augmented).`,
    );
  if (e.tta)
    lines.push(
      `- Predictions average each ${u.seen} with its mirror image (test-time augmentation, \`preprocessing.json\`).`,
    );
  for (const s of e.smallClasses) {
    lines.push(
      `- ⚠ **${s.name}** has only ${s.images} labelled ${u.many} (fewer than 20): its figures are unreliable.`,
    );
  }
  for (const n of e.notes) lines.push(`- ${n}`);
  return `## What this model is\n\n${lines.join('\n')}`;
}

/** What a run left out of its data, in its unit (a box run counts only labelled boxes). */
function leftOut(run: RunSummary): string {
  const c = run.counts;
  if (run.config.unit === 'box')
    return `Boxes without a person's class are not counted; left out: ${c.excludedNoEmbedding} boxes whose crop has no embedding.`;
  return `Left out: ${c.excludedUnlabelled} unlabelled,
${c.excludedUnreadable} unreadable, ${c.excludedNoEmbedding} without an embedding.`;
}

function onnxSection(
  onnx: OnnxBundleInfo,
  p: PreprocessingSpec,
  tta: boolean,
  box: boolean,
): string {
  if (onnx.file === null) {
    return `## ONNX\n\nNo \`model.onnx\` in this bundle: ${onnx.reason}. The TF.js model above is complete.`;
  }
  const [h, w] = p.inputSize;
  const nchw = onnx.layout === 'NCHW';
  return `## ONNX

\`${onnx.file}\` is the ${nchw ? '' : 'same '}classifier for ONNX Runtime: input \`${onnx.input}\`
float32 ${nchw ? `[n, 3, ${h}, ${w}] (channels first` : `[n, ${h}, ${w}, 3] (channels last`}, preprocessed as above), output \`${onnx.output}\` [n, classes].
It matched ${nchw ? "the app's classifier" : 'the TF.js model'} within ${onnx.maxAbsDiffFromTfjs.toExponential(1)} when exported. In Python, with Pillow
resampling as the app's libvips does (its pixels are within about a quarter of a level of the
app's on average${p.resize === 'squash' ? ', a few levels when one side is enlarged and the other reduced' : ''}, and probabilities within a few hundredths; the bundle's \`predict.mjs\` gives the app's own):

\`\`\`python
import io, json${box ? ', math' : ''}, numpy as np, onnxruntime as ort
from PIL import Image, ImageCms, ImageOps

labels = json.load(open("labels.json"))["classes"]
session = ort.InferenceSession("${onnx.file}")
${pythonResizeDefs(p)}

${pythonOpen(p, box)}${box ? '\nbox = (0.2, 0.3, 0.4, 0.5)  # x, y, w, h of one box the detector found (normalised)' : ''}
if image.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey: its top 8 bits, as the app
    image = Image.fromarray((np.asarray(image) >> 8).astype(np.uint8))
elif image.mode in ("RGB", "CMYK") and image.info.get("icc_profile"):  # colour profile → sRGB
    profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
    image = ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"), outputMode="RGB")
elif image.mode == "CMYK":  # no profile of its own: the app's CMYK profile, in this bundle
    profile = ImageCms.ImageCmsProfile("${CMYK_PROFILE_FILE}")
    image = ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"), outputMode="RGB")
if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:  # on white, rounded down as libvips
    rgba = np.asarray(image.convert("RGBA")).astype(np.uint32)
    alpha = rgba[..., 3:]
    image = Image.fromarray(((rgba[..., :3] * alpha + 255 * (255 - alpha)) // 255).astype(np.uint8))
image = image.convert("RGB")${box ? PYTHON_CROP : ''}
${pythonResize(box)}
x = np.asarray(image, dtype=np.float32)[None]
x = ${pythonNormalise(p)}${tta ? '\nx = np.concatenate([x, x[:, :, ::-1]])  # the image and its mirror (test-time augmentation)' : ''}${nchw ? '\nx = x.transpose(0, 3, 1, 2)' : ''}
probabilities = session.run(["${onnx.output}"], {"${onnx.input}": x.astype(np.float32)})[0]${tta ? '.mean(0)' : '[0]'}
print(labels[int(probabilities.argmax())], float(probabilities.max()))
\`\`\``;
}

/** A box-level model's input is a box's crop, cut by the crop rule (shared/crop.ts) in Python. */
const PYTHON_CROP = `
# A box-level model classifies crops: the box (x, y, w, h, normalised to the oriented image, as
# detectors give it) grown by ${CROP_MARGIN * 100} % of its width and height on each side, clipped, whole pixels.
x, y, w, h = box
iw, ih = image.size
snap = lambda v: round(v) if abs(v - round(v)) < 1e-6 else v  # 0.1 * 640 is a hair off 64
left = min(math.floor(snap(max(0.0, (x - ${CROP_MARGIN} * w) * iw))), iw - 1)
top = min(math.floor(snap(max(0.0, (y - ${CROP_MARGIN} * h) * ih))), ih - 1)
right = min(max(math.ceil(snap(min(iw, (x + w + ${CROP_MARGIN} * w) * iw))), left + 1), iw)
bottom = min(max(math.ceil(snap(min(ih, (y + h + ${CROP_MARGIN} * h) * ih))), top + 1), ih)
image = image.crop((left, top, right, bottom))`;

function pythonNormalise(p: PreprocessingSpec): string {
  const n = p.normalization;
  if (n.kind === 'range') return `x / 255 * ${n.max - n.min} + ${n.min}`;
  if (n.kind === 'mean-std')
    return `(x / 255 - np.array([${n.mean.join(', ')}])) / np.array([${n.std.join(', ')}])`;
  return `${n.bgr ? 'x[..., ::-1]' : 'x'} - np.array([${n.mean.join(', ')}])`;
}
