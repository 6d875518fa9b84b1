/**
 * The owner of the `detections` and `detection_images` tables: only the files of this folder
 * hold their SQL (store/table-owners.ts), one file per concern.
 */
export { HUMAN_DETECTOR } from './detection-rows';
export {
  detectionTodo,
  detectorsUsed,
  humanLabelledOtherwise,
  imageTops,
  readableContents,
  readableImageCount,
  writeOutcomes,
  type DetectTodo,
  type ImageTop,
} from './detector-results';
export {
  addHumanDetection,
  boxesByCamera,
  detectionById,
  imageDetections,
  labelledBoxes,
  pageDetections,
  setStatic,
  updateDetection,
  writeBoxSuggestions,
  type LabelledBox,
} from './box-items';
export {
  detectionsForExport,
  importedClassedBoxes,
  imagePaths,
  lastBoxId,
} from './interchange-queries';
export { detectionFilterClauses } from './filter-clauses';
