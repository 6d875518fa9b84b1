/**
 * index.html of a model bundle: an offline page (drop images, see the class and the
 * probabilities). The model comes from model.js (a <script>, so it loads from file:// where
 * fetch is refused); TF.js from tf.min.js beside it; the CSP forbids any connection
 * ('unsafe-eval' stays: TF.js evaluates code at start and will not load without it).
 */
export function bundlePage(title: string): string {
  const safe = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval' file:; style-src 'unsafe-inline'; img-src blob: data:; connect-src 'none'; worker-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'">
<title>${safe}</title>
<style>
  body { font: 15px system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #222; }
  #drop { border: 2px dashed #888; border-radius: 8px; padding: 2rem; text-align: center; }
  #drop.over { background: #eef; }
  .result { display: flex; gap: 1rem; margin: 1rem 0; align-items: flex-start; }
  .result img { width: 160px; height: 160px; object-fit: contain; background: #eee; }
  .bar { height: 0.9rem; background: #47a; display: inline-block; vertical-align: middle; }
  table { border-collapse: collapse; } td { padding: 0.1rem 0.5rem; }
  .label { font-size: 1.3rem; font-weight: bold; }
</style>
</head>
<body>
<h1>${safe}</h1>
<p id="status">Loading the model…</p>
<div id="drop">Drop images here, or <input id="files" type="file" accept="image/*" multiple></div>
<div id="results"></div>
<script src="tf.min.js"></script>
<script src="model.js"></script>
<script>
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
  const { classes } = bundle.labels;
  const spec = bundle.preprocessing;
  const [h, w] = spec.inputSize;
  status.textContent = 'Ready: ' + classes.length + ' classes (' + tf.getBackend() + ').';
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

  async function classify(file) {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.src = url;
    const row = document.createElement('div');
    row.className = 'result';
    document.getElementById('results').prepend(row);
    try {
      await img.decode();
      const probs = tf.tidy(() => model.predict(tf.tensor4d(pixels(img), [1, h, w, 3])).dataSync());
      let best = 0;
      probs.forEach((p, i) => { if (p > probs[best]) best = i; });
      const rows = classes.map((c, i) => '<tr><td>' + esc(c) + '</td><td>' + (probs[i] * 100).toFixed(1) +
        ' %</td><td><span class="bar" style="width:' + Math.round(probs[i] * 200) + 'px"></span></td></tr>').join('');
      row.innerHTML = '<img alt=""><div><div class="label" data-testid="label">' + esc(classes[best]) +
        '</div><div data-testid="confidence">' + (probs[best] * 100).toFixed(1) + ' %</div><table>' + rows + '</table><div>' + esc(file.name) + '</div></div>';
      row.querySelector('img').src = url;
    } catch (err) {
      row.textContent = file.name + ': cannot read this image (' + err.message + ')';
      row.dataset.error = 'true';
    }
  }
  function esc(s) { return String(s).replace(/[<>&"]/g, (c) => '&#' + c.charCodeAt(0) + ';'); }
  const drop = document.getElementById('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault(); drop.classList.remove('over');
    for (const f of e.dataTransfer.files) classify(f);
  });
  document.getElementById('files').addEventListener('change', (e) => { for (const f of e.target.files) classify(f); });
})().catch((err) => { document.getElementById('status').textContent = 'Could not load the model: ' + err.message; });
</script>
</body>
</html>
`;
}
