import { csvLine } from './csv';
import { writeNewFile } from '../util/fs-atomic';

// Every field of the 1.0 table schemas, in their order: readers match headers by position.
export const DEPLOYMENT_FIELDS = [
  'deploymentID',
  'locationID',
  'locationName',
  'latitude',
  'longitude',
  'coordinateUncertainty',
  'deploymentStart',
  'deploymentEnd',
  'setupBy',
  'cameraID',
  'cameraModel',
  'cameraDelay',
  'cameraHeight',
  'cameraDepth',
  'cameraTilt',
  'cameraHeading',
  'detectionDistance',
  'timestampIssues',
  'baitUse',
  'featureType',
  'habitat',
  'deploymentGroups',
  'deploymentTags',
  'deploymentComments',
] as const;
export const MEDIA_FIELDS = [
  'mediaID',
  'deploymentID',
  'captureMethod',
  'timestamp',
  'filePath',
  'filePublic',
  'fileName',
  'fileMediatype',
  'exifData',
  'favorite',
  'mediaComments',
] as const;
export const OBSERVATION_FIELDS = [
  'observationID',
  'deploymentID',
  'mediaID',
  'eventID',
  'eventStart',
  'eventEnd',
  'observationLevel',
  'observationType',
  'cameraSetupType',
  'scientificName',
  'count',
  'lifeStage',
  'sex',
  'behavior',
  'individualID',
  'individualPositionRadius',
  'individualPositionAngle',
  'individualSpeed',
  'bboxX',
  'bboxY',
  'bboxWidth',
  'bboxHeight',
  'classificationMethod',
  'classifiedBy',
  'classificationTimestamp',
  'classificationProbability',
  'observationTags',
  'observationComments',
] as const;

export type Row = Record<string, string | number | boolean | null | undefined>;

/** Writes a CSV table with every field of its schema, in order. */
export function writeTable(file: string, fields: readonly string[], rows: readonly Row[]): void {
  writeNewFile(
    file,
    [csvLine(fields), ...rows.map((r) => csvLine(fields.map((f) => r[f])))].join(''),
  );
}
