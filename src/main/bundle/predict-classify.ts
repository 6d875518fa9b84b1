import { csvLine } from '../../shared/csv';
import { decide } from '../../shared/decision';
import type { DecisionRule } from '../../shared/types';
import type { BundleSpec, Engine } from './predict-engines';
import { batchPacker, decodeInput, type Input, type Sharp } from './predict-input';

/** The bundle's labels.json. */
export interface BundleLabels {
  classes: string[];
  operatingPoint?: DecisionRule;
}

export interface ClassifyContext {
  engine: Engine;
  spec: BundleSpec;
  labels: BundleLabels;
  sharp: Sharp;
  batchSize: number;
}

type Decoded = { data: Buffer; error?: undefined } | { data?: undefined; error: unknown };

/**
 * Runs the classifier on batches of decoded network pixels ([h, w, 3] bytes each): one input
 * buffer reused for every batch (a batch is packed, run, and done before the next), the
 * mirror packed beside each image with test-time augmentation and averaged in.
 */
export function classifier(c: ClassifyContext) {
  const [h, w] = c.spec.inputSize;
  const mirrorToo = c.spec.tta === 'flip';
  const views = mirrorToo ? 2 : 1;
  const per = h * w * 3;
  const pack = batchPacker(c.spec);
  const input = new Float32Array(c.batchSize * views * per);
  const k = c.labels.classes.length;
  /** Probabilities ([n × classes]) of up to batchSize images. */
  return async function infer(images: readonly Uint8Array[]): Promise<Float32Array> {
    const n = images.length;
    images.forEach((rgb, j) => {
      pack(rgb, input, j, false, c.engine.nchw);
      if (mirrorToo) pack(rgb, input, n + j, true, c.engine.nchw);
    });
    const out = await c.engine.run(input.subarray(0, n * views * per), n * views);
    const probs = new Float32Array(n * k);
    for (let j = 0; j < n * k; j++)
      probs[j] = mirrorToo ? ((out[j] ?? 0) + (out[n * k + j] ?? 0)) / 2 : (out[j] ?? 0);
    return probs;
  };
}

/** The label, its probability and the decision (by the operating point, when there is one) of one image. */
export function verdict(p: number[], labels: BundleLabels): [string, number, ...string[]] {
  let best = 0;
  for (let c = 1; c < p.length; c++) if ((p[c] ?? 0) > (p[best] ?? 0)) best = c;
  const decision = labels.operatingPoint ? [decide(p, labels.classes, labels.operatingPoint)] : [];
  return [labels.classes[best] ?? '', p[best] ?? 0, ...decision];
}

/** The message of an error, for the CSV's error column. */
export function errorText(error: unknown): string {
  return (error as { message?: string } | null)?.message ?? String(error);
}

/** CSV rows of one batch, in input order; a frame column after the path when `framed`. */
function rows(
  inputs: readonly Input[],
  decoded: readonly Decoded[],
  probs: Float32Array | null,
  labels: BundleLabels,
  framed: boolean,
): string {
  const k = labels.classes.length;
  let text = '';
  let j = 0;
  inputs.forEach((input, i) => {
    const d = decoded[i];
    const at = framed ? [input.path, input.frame ?? null] : [input.path];
    if (!d || d.error !== undefined || !probs) {
      const noDecision = labels.operatingPoint ? [''] : [];
      text += csvLine([
        ...at,
        '',
        '',
        ...labels.classes.map(() => ''),
        ...noDecision,
        errorText(d?.error),
      ]);
      return;
    }
    const p = Array.from(probs.subarray(j * k, (j + 1) * k));
    j++;
    const [label, confidence, ...decision] = verdict(p, labels);
    text += csvLine([...at, label, confidence, ...p, ...decision, '']);
  });
  return text;
}

/**
 * Classifies the inputs in batches and hands each batch's CSV rows to `write`, in input
 * order (with a frame column when `framed`), reporting progress on stderr; returns how many
 * could not be read. Decoding runs on libuv's threads, a few batches
 * ahead of the network (which runs on the main thread); each file's outcome is dropped once
 * its row is written.
 */
export async function classifyFiles(
  list: readonly Input[],
  c: ClassifyContext,
  write: (text: string) => void,
  framed = false,
): Promise<number> {
  let unreadable = 0;
  const infer = classifier(c);
  const progress = progressReporter(list.length, c.batchSize);
  const ahead = 2 * c.batchSize;
  const pending: (Promise<Decoded> | undefined)[] = new Array(list.length);
  let queued = 0;
  for (let start = 0; start < list.length; start += c.batchSize) {
    const end = Math.min(start + c.batchSize, list.length);
    for (; queued < Math.min(end + ahead, list.length); queued++) {
      pending[queued] = decodeInput(list[queued] ?? { path: '' }, c.spec, c.sharp).then(
        (data) => ({ data }),
        (error: unknown) => ({ error }),
      );
    }
    const decoded = await Promise.all(pending.slice(start, end) as Promise<Decoded>[]);
    pending.fill(undefined, start, end);
    const ok = decoded.flatMap((d) => (d.data ? [d.data] : []));
    unreadable += decoded.length - ok.length;
    const probs = ok.length > 0 ? await infer(ok) : null;
    write(rows(list.slice(start, end), decoded, probs, c.labels, framed));
    progress(end);
  }
  return unreadable;
}

/** Progress on stderr: a rewritten line on a terminal, else about ten lines in all. */
export function progressReporter(total: number, batchSize: number): (done: number) => void {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let reported = 0;
  return (done) => {
    const rate = done / Math.max((Date.now() - started) / 1000, 1e-3);
    if (tty) process.stderr.write(`\r${done}/${total} images, ${rate.toFixed(1)} images/s`);
    else if (done === total || done - reported >= Math.max(batchSize, total / 10)) {
      reported = done;
      process.stderr.write(`${done}/${total} images, ${rate.toFixed(1)} images/s\n`);
    }
  };
}
