import type { DetectionFilter } from '../../../../shared/api';
import type { ImageFilter } from '../../../../shared/types';

/** What the grid shows. Later kinds (predicted class, confidence…) slot in here. */
export type ViewFilter =
  | { kind: 'all' }
  | { kind: 'unlabelled' }
  | { kind: 'problem' }
  | { kind: 'pending' }
  | { kind: 'class'; classId: number }
  | { kind: 'sequence'; sequenceId: number }
  | { kind: 'folder'; rootId: number; folder: string }
  /** Model suggestions no human has confirmed (the active-learning queue). */
  | { kind: 'suggested'; since: string }
  | { kind: 'disagrees' }
  | { kind: 'predicted'; classId: number }
  /** "More like this": exactly these images, most similar first. */
  | { kind: 'similar'; imageId: number; ids: number[] }
  /** Images of one detection category (or none) at a threshold: a condition of the query. */
  | {
      kind: 'detection';
      category: DetectionFilter;
      threshold: number;
      burstAware: boolean;
      detector: string | null;
    };

/** The API's filter for what the grid shows (before the confidence range). */
export function baseQuery(f: ViewFilter): ImageFilter {
  switch (f.kind) {
    case 'all':
      return {};
    case 'unlabelled':
      return { unlabelled: true };
    case 'problem':
    case 'pending':
      return { status: f.kind };
    case 'class':
      return { classId: f.classId };
    case 'sequence':
      return { sequenceId: f.sequenceId };
    case 'folder':
      return { rootId: f.rootId, folder: f.folder };
    case 'suggested':
      return { suggested: true, suggestedSince: f.since };
    case 'disagrees':
      return { disagrees: true };
    case 'predicted':
      return { predictedClassId: f.classId };
    case 'similar':
      return { imageIds: [f.imageId, ...f.ids] };
    case 'detection':
      return {
        detection: {
          category: f.category,
          threshold: f.threshold,
          burstAware: f.burstAware,
          detector: f.detector,
        },
      };
  }
}
