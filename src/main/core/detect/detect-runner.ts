import { imageSource } from '../library/image-source';
import { MAX_IMAGE_BYTES } from '../library/probe';
import { readFileSafe } from '../util/safe-fs';
import type { Detector } from './detector-engine';
import type { DetectItem, DetectOutcome } from './detect-protocol';

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Detects in a batch of images with one detector: every image is read through the safe
 * reader, opened as every other reader opens it (a DICOM's frame decoded to pixels), and
 * decoded ahead (sharp's threads) while the network runs on the one before.
 */
export async function detectBatch(
  detector: Detector,
  items: readonly DetectItem[],
): Promise<DetectOutcome[]> {
  const prepared = items.map((it) =>
    readFileSafe(it.file, {
      maxBytes: MAX_IMAGE_BYTES,
      roots: it.root ? [it.root] : undefined,
    })
      .then((bytes) => imageSource(bytes, it.frame ?? 0))
      .then((source) => detector.prepare(source)),
  );
  // Rejections are handled in the loop below, one by one; this only keeps Node quiet meanwhile.
  for (const p of prepared) p.catch(() => undefined);
  const out: DetectOutcome[] = [];
  for (const [i, it] of items.entries()) {
    try {
      const r = await detector.infer(await (prepared[i] as (typeof prepared)[number]));
      out.push({ key: it.key, width: r.width, height: r.height, boxes: r.boxes });
    } catch (err) {
      out.push({ key: it.key, error: errText(err) });
    }
  }
  return out;
}
