import type { StaticBoxGroup } from '../../../shared/types';
import { iou } from './box-math';
import type { NormalisedBox } from '../../../shared/types';

/** A box to group: its id, its image content and camera. */
export interface CameraBox {
  id: number;
  hash: string;
  cameraKey: string;
  box: NormalisedBox;
}

/** Boxes that overlap this much are "at the same place". */
export const STATIC_IOU = 0.9;

/**
 * Groups boxes that recur at the same place (IoU ≥ 0.9 with the group's first box) across
 * images of one camera; groups seen in at least `minImages` distinct images are static: a
 * rock, a stump or a post a detector mistakes for an animal in every frame.
 */
export function findStaticBoxes(boxes: readonly CameraBox[], minImages = 5): StaticBoxGroup[] {
  const byCamera = new Map<string, CameraBox[]>();
  for (const b of boxes) {
    const list = byCamera.get(b.cameraKey) ?? [];
    list.push(b);
    byCamera.set(b.cameraKey, list);
  }
  const out: StaticBoxGroup[] = [];
  for (const [camera, list] of byCamera) {
    const groups: { box: NormalisedBox; ids: number[]; hashes: Set<string> }[] = [];
    for (const b of list) {
      const g = groups.find((gr) => iou(gr.box, b.box) >= STATIC_IOU);
      if (g) {
        g.ids.push(b.id);
        g.hashes.add(b.hash);
      } else {
        groups.push({ box: b.box, ids: [b.id], hashes: new Set([b.hash]) });
      }
    }
    for (const g of groups) {
      if (g.hashes.size >= minImages) {
        out.push({ camera, box: g.box, images: g.hashes.size, detectionIds: g.ids });
      }
    }
  }
  return out.sort((a, b) => b.images - a.images);
}
