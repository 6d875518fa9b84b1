/**
 * Dense weight averaging of a fine-tune (as in SWAD, Cha et al., NeurIPS 2021): the released
 * weights are the mean of the weights after every optimiser step inside a window of epochs whose
 * validation loss stays near the best, which finds flatter minima that hold up better on images
 * unlike the training set than the weights of any one step.
 */
import type { HeadWeights } from '../../model/head';
import type { TopWeights } from './top-net';

/** Epochs whose validation loss is within this factor of the lowest form the window (SWAD's r). */
export const AVERAGE_TOLERANCE = 1.2;
/** Candidate window starts kept at most; past it the earliest goes (the window starts later). */
export const MAX_STARTS = 8;

/** Running sums of every weight tensor (float64: thousands of steps add up), and their steps. */
interface Sum {
  parts: Float64Array[];
  steps: number;
}

const headParts = (h: HeadWeights) => [h.w1, h.b1, h.w2, h.b2];

/** Tensors of a TopWeights in a fixed order (layer, then weight name). */
function topParts(t: TopWeights): Float32Array[] {
  return Object.keys(t)
    .sort()
    .flatMap((layer) => {
      const entry = t[layer] ?? {};
      return Object.keys(entry)
        .sort()
        .map((name) => entry[name]?.data ?? new Float32Array(0));
    });
}

const copy = (s: Sum): Sum => ({ parts: s.parts.map((p) => p.slice()), steps: s.steps });

/**
 * Keeps a running sum of the weights after every tuning step, and copies of it where a window
 * may start or end, so memory stays bounded however long training runs: the running sum, the
 * sum at the start of the epoch, the sum at the end of the last epoch near the lowest loss, and
 * at most MAX_STARTS sums before epochs that may still begin the window.
 */
export class WeightAverager {
  private running: Sum | null = null;
  private beforeEpoch: Sum | null = null;
  private first: number | null = null;
  private min = Infinity;
  /** Record-low epochs near the lowest loss: the window starts at the earliest of them. */
  private starts: { epoch: number; loss: number; before: Sum }[] = [];
  private end: { epoch: number; sum: Sum } | null = null;
  private last: number | null = null;
  private shapeOf: { head: HeadWeights; top: TopWeights } | null = null;

  /** all: average every epoch (no validation loss to choose a window by). */
  constructor(private readonly all = false) {}

  /** Adds the weights after one optimiser step. */
  addStep(head: HeadWeights, top: TopWeights): void {
    this.shapeOf ??= { head, top };
    const parts = [...headParts(head), ...topParts(top)];
    this.running ??= { parts: parts.map((p) => new Float64Array(p.length)), steps: 0 };
    this.beforeEpoch ??= copy(this.running);
    const sums = this.running.parts;
    if (sums.length !== parts.length) throw new Error('weight shapes changed while averaging');
    parts.forEach((p, i) => {
      const acc = sums[i];
      if (!acc || acc.length !== p.length) throw new Error('weight shapes changed while averaging');
      for (let j = 0; j < p.length; j++) acc[j] = (acc[j] ?? 0) + (p[j] ?? 0);
    });
    this.running.steps++;
  }

  /** Closes an epoch's steps with that epoch's validation loss (NaN: none). */
  endEpoch(epoch: number, valLoss: number): void {
    const before = this.beforeEpoch;
    this.beforeEpoch = null;
    if (!before || !this.running) return; // no step this epoch (warm-up)
    this.first ??= epoch;
    this.last = epoch;
    if (this.all || !Number.isFinite(valLoss)) return;
    // The first epoch near the final lowest loss always set a record low when it ran.
    if (valLoss < this.min) {
      this.min = valLoss;
      this.starts.push({ epoch, loss: valLoss, before });
    }
    const limit = this.min * AVERAGE_TOLERANCE;
    this.starts = this.starts.filter((s) => s.loss <= limit).slice(-MAX_STARTS);
    if (valLoss <= limit) this.end = { epoch, sum: copy(this.running) };
  }

  /**
   * The epochs averaged: from the first to the last whose validation loss is within
   * AVERAGE_TOLERANCE of the lowest; every epoch when `all` or without a loss to rank by.
   */
  window(): [number, number] | null {
    if (this.first === null || this.last === null) return null;
    const start = this.starts[0];
    if (this.all || !start || !this.end) return [this.first, this.last];
    return [start.epoch, this.end.epoch];
  }

  /** Mean weights of every step in the window, or null when no step was recorded. */
  average(): { head: HeadWeights; top: TopWeights; epochs: [number, number] } | null {
    const w = this.window();
    if (!w || !this.shapeOf || !this.running) return null;
    const start = this.starts[0];
    const end = this.end;
    const ranked = !this.all && start && end ? { from: start.before, to: end.sum } : null;
    const to = ranked?.to ?? this.running;
    const from = ranked?.from ?? null;
    const steps = to.steps - (from?.steps ?? 0);
    const means = to.parts.map((p, i) => {
      const base = from?.parts[i];
      return Float32Array.from(p, (v, j) => (v - (base?.[j] ?? 0)) / steps);
    });
    const [w1, b1, w2, b2, ...topMeans] = means as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      ...Float32Array[],
    ];
    const top: TopWeights = {};
    let i = 0;
    const like = this.shapeOf.top;
    for (const layer of Object.keys(like).sort()) {
      top[layer] = {};
      const entry = like[layer] ?? {};
      for (const name of Object.keys(entry).sort()) {
        top[layer][name] = { shape: entry[name]?.shape ?? [], data: topMeans[i++]! };
      }
    }
    return { head: { ...this.shapeOf.head, w1, b1, w2, b2 }, top, epochs: w };
  }
}
