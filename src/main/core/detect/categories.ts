import type { DetectionCategory } from '../../../shared/types';

/** COCO's 80 detection classes in the order COCO-trained detectors number them (0-based). */
export const COCO_CLASSES: readonly string[] = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
];

const COCO_ANIMALS = [
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
];
const COCO_VEHICLES = ['bicycle', 'car', 'motorcycle', 'bus', 'truck'];

/** COCO class index → camera-trap category; every other COCO class is ignored. */
export const COCO_CATEGORY_MAP: Readonly<Record<number, DetectionCategory>> = Object.fromEntries(
  COCO_CLASSES.flatMap((name, i): [number, DetectionCategory][] =>
    name === 'person'
      ? [[i, 'person']]
      : COCO_ANIMALS.includes(name)
        ? [[i, 'animal']]
        : COCO_VEHICLES.includes(name)
          ? [[i, 'vehicle']]
          : [],
  ),
);

/** MegaDetector's own classes (v5 and v6 alike): 0 animal, 1 person, 2 vehicle. */
export const MEGADETECTOR_CATEGORY_MAP: Readonly<Record<number, DetectionCategory>> = {
  0: 'animal',
  1: 'person',
  2: 'vehicle',
};

/** The category ids of the MegaDetector batch-output format ("1" animal, "2" person, "3" vehicle). */
export const MD_CATEGORY_IDS: Readonly<Record<DetectionCategory, string>> = {
  animal: '1',
  person: '2',
  vehicle: '3',
};
