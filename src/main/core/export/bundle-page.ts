import type { RunSummary } from '../../../shared/types';
import { decideSource } from './decision-rule';
import { runUnit } from './run-unit';

/** What the page says about the model: the model card's summary. */
export interface BundlePageInput {
  run: RunSummary;
  projectName: string;
  baseName: string;
  licence: string;
  appVersion: string;
  /** ISO time of the export. */
  created: string;
  /** The detector the bundle carries (detect → crop → classify), if any. */
  detector?: { threshold: number } | null;
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)} %`;

/**
 * index.html of a model bundle: an offline page (drop images, see each one's class and the
 * probabilities) with the model card's summary. The model comes from model.js (a <script>,
 * so it loads from file:// where fetch is refused); TF.js from tf.min.js beside it; the CSP
 * forbids any connection ('unsafe-eval' stays: TF.js evaluates code at start and will not
 * load without it). Light and dark follow the OS.
 */
export function bundlePage(input: BundlePageInput): string {
  const { run } = input;
  const unit = runUnit(run).many;
  const boxes = run.config.unit === 'box';
  const title = `${input.projectName} — ${run.title ? `${run.title} (run ${run.id})` : `run ${run.id}`}`;
  const facts: [string, string][] = [
    ['Classes', run.classes.join(', ')],
    ['Validation accuracy', `${pct(run.best?.valAccuracy)} on ${run.counts.validation} ${unit}`],
    ['Trained on', `${run.counts.train} ${unit}`],
    ['Base model', input.baseName],
    ['Licence of the base model', input.licence],
    ['Method', run.config.mode === 'finetune' ? 'fine-tuned' : 'classifier on the base’s features'],
    ['Exported', `${input.created.slice(0, 10)} by Ocellus ${input.appVersion}`],
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval' file:; style-src 'unsafe-inline'; img-src blob: data:; connect-src 'none'; worker-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
  <svg viewBox="0 0 64 64" width="40" height="40" aria-hidden="true"><ellipse cx="32" cy="32" rx="26" ry="16" fill="none" stroke="currentColor" stroke-width="5"/><circle cx="32" cy="32" r="9" fill="currentColor"/></svg>
  <div><h1>${esc(title)}</h1><p id="status" class="muted" role="status">Loading the model…</p></div>
</header>
<section class="card" aria-label="About this model">
  <dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
  <p class="muted small">The validation figure estimates how the model does on ${boxes ? 'crops' : 'images'} like the ones it learnt from; see MODEL_CARD.md beside this page for the details and the limits. Images never leave this computer: the page makes no connection.</p>
</section>${boxes ? boxNote(Boolean(input.detector)) : ''}
<label id="drop" class="drop" for="files">
  <svg viewBox="0 0 24 24" width="36" height="36" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" d="M12 16V4m0 0-4 4m4-4 4 4M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3"/></svg>
  <strong>${boxes ? 'Drop crops here' : 'Drop images here'}</strong>
  <span class="muted">or <span class="link">choose files</span> — JPEG, PNG, WebP, GIF</span>
  <input id="files" type="file" accept="image/*" multiple>
</label>
<div id="results"></div>
</main>
<script src="tf.min.js"></script>
<script src="model.js"></script>
<script>${decideSource()}${SCRIPT}</script>
</body>
</html>
`;
}

const STYLE = `
  :root { --bg: #f4f5f7; --card: #fff; --border: #d3d8e0; --text: #1b1f27; --muted: #5b6474; --accent: #2a8674; --soft: rgb(42 134 116 / 0.12); --bar: #d9e7e4; color-scheme: light dark; }
  @media (prefers-color-scheme: dark) { :root { --bg: #15171c; --card: #1d2027; --border: #343a46; --text: #e6e8ee; --muted: #9aa2b2; --accent: #5fb3a1; --soft: rgb(95 179 161 / 0.16); --bar: #2b3a37; } }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
  main { max-width: 56rem; margin: 0 auto; padding: 2rem 1.25rem 3rem; display: grid; gap: 1.25rem; }
  header { display: flex; gap: 1rem; align-items: center; color: var(--accent); }
  h1 { margin: 0; font-size: 1.6rem; color: var(--text); }
  p { margin: 0; }
  .muted { color: var(--muted); }
  .small { font-size: 13px; }
  .card { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 1rem 1.25rem; display: grid; gap: 0.75rem; }
  .facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0.75rem 1.5rem; margin: 0; }
  dt { color: var(--muted); font-size: 13px; }
  dd { margin: 0; font-weight: 600; }
  .drop { display: grid; justify-items: center; gap: 0.35rem; padding: 2rem 1rem; border: 2px dashed var(--border); border-radius: 12px; background: var(--card); color: var(--muted); text-align: center; cursor: pointer; }
  .drop strong { color: var(--text); font-size: 1.1rem; }
  .drop.over, .drop:hover { border-color: var(--accent); background: var(--soft); }
  .drop:focus-within { outline: 2px solid var(--accent); outline-offset: 2px; }
  .drop input { position: absolute; width: 1px; height: 1px; opacity: 0; }
  .link { color: var(--accent); text-decoration: underline; }
  #results { display: grid; gap: 0.75rem; }
  .result { display: grid; grid-template-columns: 10rem 1fr; gap: 1.25rem; align-items: start; background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 0.75rem; }
  .result img { width: 10rem; height: 10rem; object-fit: contain; background: var(--bg); border-radius: 6px; }
  .result[data-error] { display: block; color: #c0392f; }
  .notice { margin: 1rem 0; padding: 0.75rem 1rem; border-left: 4px solid var(--accent); background: var(--bar); border-radius: 6px; }
  .top { display: flex; gap: 0.75rem; align-items: baseline; flex-wrap: wrap; }
  .label { font-size: 1.4rem; font-weight: 700; }
  .confidence { color: var(--accent); font-weight: 600; }
  .file { color: var(--muted); font-size: 13px; margin-left: auto; overflow-wrap: anywhere; }
  .bars { display: grid; grid-template-columns: minmax(4rem, max-content) 1fr 4.5rem; gap: 0.3rem 0.75rem; margin-top: 0.6rem; align-items: center; font-size: 14px; }
  .track { height: 0.6rem; background: var(--bar); border-radius: 999px; overflow: hidden; }
  .fill { height: 100%; background: var(--accent); border-radius: 999px; }
  .p { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
  @media (max-width: 32rem) { .result { grid-template-columns: 1fr; } .result img { width: 100%; } }
`;

// A box run's model learnt from crops of one animal each; this page does not detect, so a
// whole photo dropped here would be scored as if it were one crop.
function boxNote(detects: boolean): string {
  const how = detects
    ? 'To detect, crop and classify whole photos, run <code>node predict.mjs</code> or <code>ocellus predict</code> on them: they use the detector in this bundle.'
    : 'This bundle has no detector: cut each box from its photo first, by the rule in MODEL_CARD.md.';
  return `
<p class="notice" data-testid="box-note" role="note"><strong>This model classifies crops, one animal or object each.</strong> It was trained on the boxes of labelled images, so drop crops here, not whole photos: this page does not detect. ${how}</p>`;
}

// The page's script: loads the model, prepares pixels as the app does, shows the results.
const SCRIPT = `
(async () => {
  const status = document.getElementById('status');
  const bundle = window.OCELLUS_BUNDLE;
  const bytes = Uint8Array.from(atob(bundle.weights), (c) => c.charCodeAt(0));
  // WebGL when the machine has it; setBackend resolves false (or throws) when it does not.
  if (!(await tf.setBackend('webgl').catch(() => false))) await tf.setBackend('cpu');
  await tf.ready();
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: bundle.model.modelTopology,
    weightSpecs: bundle.model.weightsManifest.flatMap((g) => g.weights),
    weightData: bytes.buffer,
  }));
  const { classes, operatingPoint } = bundle.labels;
  const spec = bundle.preprocessing;
  const [h, w] = spec.inputSize;
  status.textContent = 'Ready: ' + classes.length + ' classes, running on ' + tf.getBackend() + ' in this browser.';
  document.body.dataset.ready = 'true';

  function pixels(img) {
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    const g = canvas.getContext('2d');
    g.fillStyle = '#000'; g.fillRect(0, 0, w, h);
    const iw = img.naturalWidth, ih = img.naturalHeight;
    let sx = 0, sy = 0, sw = iw, sh = ih, dx = 0, dy = 0, dw = w, dh = h;
    if (spec.resize === 'center-crop') {
      const s = Math.max(w / iw, h / ih); sw = w / s; sh = h / s; sx = (iw - sw) / 2; sy = (ih - sh) / 2;
    } else if (spec.resize === 'letterbox') {
      const s = Math.min(w / iw, h / ih); dw = iw * s; dh = ih * s; dx = (w - dw) / 2; dy = (h - dh) / 2;
    }
    g.fillStyle = '#fff'; g.fillRect(dx, dy, dw, dh);
    g.imageSmoothingQuality = 'high';
    g.drawImage(img, sx, sy, sw, sh, dx, dy, dw, dh);
    const rgba = g.getImageData(0, 0, w, h).data;
    const out = new Float32Array(w * h * 3);
    const n = spec.normalization;
    for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
      for (let c = 0; c < 3; c++) {
        const v = rgba[p + c];
        if (n.kind === 'range') out[q + c] = v * (n.max - n.min) / 255 + n.min;
        else if (n.kind === 'mean-std') out[q + c] = (v / 255 - n.mean[c]) / n.std[c];
        else out[q + c] = rgba[p + (n.bgr ? 2 - c : c)] - n.mean[c];
      }
    }
    return out;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const pct = (p) => (p * 100).toFixed(1) + ' %';

  async function classify(file) {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.src = url;
    const row = el('div', 'result');
    document.getElementById('results').prepend(row);
    try {
      await img.decode();
      const probs = tf.tidy(() => model.predict(tf.tensor4d(pixels(img), [1, h, w, 3])).dataSync());
      const order = classes.map((_, i) => i).sort((a, b) => probs[b] - probs[a]);
      const best = order[0];
      const preview = el('img');
      preview.alt = file.name;
      preview.src = url;
      const body = el('div');
      const top = el('div', 'top');
      const label = el('span', 'label', classes[best]);
      label.dataset.testid = 'label';
      const conf = el('span', 'confidence', pct(probs[best]));
      conf.dataset.testid = 'confidence';
      top.append(label, conf);
      if (operatingPoint) {
        // The run's operating point, decided by the app's own function (decide, above).
        const decision = el('span', 'label', decide(probs, classes, operatingPoint));
        decision.dataset.testid = 'decision';
        decision.title = 'Called ' + operatingPoint.positiveClass + ' at probability ≥ ' + operatingPoint.threshold;
        top.append(el('span', 'muted', 'decision'), decision);
      }
      top.append(el('span', 'file', file.name));
      const bars = el('div', 'bars');
      bars.setAttribute('aria-label', 'Probability of each class');
      for (const i of order) {
        const track = el('div', 'track');
        const fill = el('div', 'fill');
        fill.style.width = (probs[i] * 100).toFixed(1) + '%';
        track.append(fill);
        bars.append(el('span', '', classes[i]), track, el('span', 'p', pct(probs[i])));
      }
      body.append(top, bars);
      row.append(preview, body);
    } catch (err) {
      row.textContent = file.name + ': cannot read this image (' + err.message + ')';
      row.dataset.error = 'true';
    }
  }
  const drop = document.getElementById('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault(); drop.classList.remove('over');
    for (const f of e.dataTransfer.files) classify(f);
  });
  document.getElementById('files').addEventListener('change', (e) => { for (const f of e.target.files) classify(f); });
})().catch((err) => { document.getElementById('status').textContent = 'Could not load the model: ' + err.message; });
`;
