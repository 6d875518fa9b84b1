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

interface Sum {
  head: Float32Array[];
  top: Float32Array[];
  steps: number;
}

/** The summed steps of one epoch, or of a run of epochs merged into one. */
interface EpochSum {
  first: number;
  last: number;
  valLoss: number;
  sum: Sum;
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

function addInto(into: Float32Array[], parts: Float32Array[]): void {
  parts.forEach((p, i) => {
    const acc = into[i];
    if (!acc || acc.length !== p.length) throw new Error('weight shapes changed while averaging');
    for (let j = 0; j < p.length; j++) acc[j] = (acc[j] ?? 0) + (p[j] ?? 0);
  });
}

/**
 * Collects step weights per epoch, then averages the epochs of the window. Memory: one copy of
 * the trained weights per epoch that may still fall in the window (epochs before the first one
 * near the lowest loss so far are dropped: the lowest only falls), one in all when `all`.
 */
export class WeightAverager {
  private current: Sum | null = null;
  private epochs: EpochSum[] = [];
  private shapeOf: { head: HeadWeights; top: TopWeights } | null = null;

  /** all: average every epoch (no validation loss to choose a window by). */
  constructor(private readonly all = false) {}

  /** Adds the weights after one optimiser step. */
  addStep(head: HeadWeights, top: TopWeights): void {
    this.shapeOf ??= { head, top };
    const h = headParts(head);
    const t = topParts(top);
    if (!this.current) {
      this.current = {
        head: h.map((p) => new Float32Array(p.length)),
        top: t.map((p) => new Float32Array(p.length)),
        steps: 0,
      };
    }
    addInto(this.current.head, h);
    addInto(this.current.top, t);
    this.current.steps++;
  }

  /** Closes an epoch's steps with that epoch's validation loss (NaN: none). */
  endEpoch(epoch: number, valLoss: number): void {
    const sum = this.current;
    this.current = null;
    if (!sum || sum.steps === 0) return;
    const merged = this.all ? this.epochs[0] : undefined;
    if (merged) {
      addInto(merged.sum.head, sum.head);
      addInto(merged.sum.top, sum.top);
      merged.sum.steps += sum.steps;
      merged.last = epoch;
      return;
    }
    this.epochs.push({ first: epoch, last: epoch, valLoss, sum });
    const limit = this.limit();
    if (limit === null) return;
    const start = this.epochs.findIndex((e) => e.valLoss <= limit);
    if (start > 0) this.epochs = this.epochs.slice(start);
  }

  /** Losses up to this are near the lowest; null when there is no loss to rank by. */
  private limit(): number | null {
    const losses = this.epochs.map((e) => e.valLoss).filter((l) => Number.isFinite(l));
    return losses.length ? Math.min(...losses) * AVERAGE_TOLERANCE : null;
  }

  /**
   * The epochs averaged: from the first to the last whose validation loss is within
   * AVERAGE_TOLERANCE of the lowest; every epoch when `all` or without a loss to rank by.
   */
  window(): [number, number] | null {
    const first = this.epochs[0]?.first;
    const last = this.epochs[this.epochs.length - 1]?.last;
    if (first === undefined || last === undefined) return null;
    const limit = this.limit();
    if (this.all || limit === null) return [first, last];
    const near = this.epochs.filter((e) => e.valLoss <= limit);
    return [near[0]?.first ?? first, near[near.length - 1]?.last ?? last];
  }

  /** Mean weights of every step in the window, or null when no step was recorded. */
  average(): { head: HeadWeights; top: TopWeights; epochs: [number, number] } | null {
    const w = this.window();
    if (!w || !this.shapeOf) return null;
    const chosen = this.epochs.filter((e) => e.first >= w[0] && e.last <= w[1]);
    const steps = chosen.reduce((n, e) => n + e.sum.steps, 0);
    const mean = (pick: (s: Sum) => Float32Array[]) => {
      const out = pick(chosen[0]!.sum).map((p) => new Float32Array(p.length));
      for (const e of chosen) addInto(out, pick(e.sum));
      for (const p of out) for (let j = 0; j < p.length; j++) p[j] = (p[j] ?? 0) / steps;
      return out;
    };
    const [w1, b1, w2, b2] = mean((s) => s.head) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const topMeans = mean((s) => s.top);
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
