/** The `clinic` domain of the API contract (see ../api.ts). */
import type {
  LeakageOptions,
  LeakageReport,
  OperatingPointTarget,
  RunOperatingPoint,
} from '../types/clinic';

/** Clinical checks of a run: leakage across its split (DICOM and any other project). */
export interface ClinicApi {
  /** Patients (metadata values), identical files and near-duplicates on both sides of a run's split. */
  leakage(runId: number, options?: LeakageOptions): Promise<LeakageReport>;
  /** Fixes the run's threshold for a class by target sensitivity, specificity or value. */
  setOperatingPoint(runId: number, target: OperatingPointTarget): Promise<RunOperatingPoint>;
  /** The run's operating point, or null. */
  operatingPoint(runId: number): Promise<RunOperatingPoint | null>;
  /** Goes back to the most probable class; true when there was an operating point. */
  clearOperatingPoint(runId: number): Promise<boolean>;
}
