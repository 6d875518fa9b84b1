import type { LeakageReport, RunOperatingPoint } from '../../../../shared/types';
import type { AppState } from './app.svelte';
import type { EvaluateState } from './evaluate.svelte';

/** The Evaluate view's clinical checks of the selected run: its operating point and leakage. */
export class ClinicState {
  readonly #app: AppState;
  readonly #evaluation: EvaluateState;

  #point = $state<RunOperatingPoint | null>(null);
  get point(): RunOperatingPoint | null {
    return this.#point;
  }

  #leakage = $state<LeakageReport | null>(null);
  get leakage(): LeakageReport | null {
    return this.#leakage;
  }

  #checking = $state(false);
  get checking(): boolean {
    return this.#checking;
  }

  constructor(app: AppState, evaluation: EvaluateState) {
    this.#app = app;
    this.#evaluation = evaluation;
    this.#app.onStart((client) => {
      client.on('project:changed', () => {
        this.#point = null;
        this.#leakage = null;
      });
    });
  }

  /** Loads the selected run's operating point; leakage is checked on request. */
  async load(): Promise<void> {
    const runId = this.#evaluation.runId;
    if (runId === null) return;
    if (this.#leakage?.runId !== runId) this.#leakage = null;
    try {
      const point = await this.#app.api().clinic.operatingPoint(runId);
      if (this.#evaluation.runId === runId) this.#point = point;
    } catch (err) {
      this.#app.report(err);
    }
  }

  /** Fixes the threshold of the evaluated positive class by a target. */
  async set(by: 'sensitivity' | 'specificity' | 'threshold', value: number): Promise<void> {
    const runId = this.#evaluation.runId;
    const positiveClass = this.#evaluation.report?.binary?.positiveClass;
    if (runId === null || !positiveClass) return;
    await this.#app.guard(async () => {
      const point = await this.#app
        .api()
        .clinic.setOperatingPoint(runId, { positiveClass, by, value });
      this.#point = point;
      // The figures and the slider go to the threshold just fixed (they stayed where they were).
      this.#evaluation.setThreshold(point.threshold);
    });
  }

  async clear(): Promise<void> {
    const runId = this.#evaluation.runId;
    if (runId === null) return;
    await this.#app.guard(async () => {
      await this.#app.api().clinic.clearOperatingPoint(runId);
      this.#point = null;
    });
  }

  /** Patients, identical files and near-duplicates on both sides of the run's split. */
  async checkLeakage(threshold: number): Promise<void> {
    const runId = this.#evaluation.runId;
    if (runId === null) return;
    this.#checking = true;
    try {
      const report = await this.#app.api().clinic.leakage(runId, { threshold, maxPairs: 24 });
      if (this.#evaluation.runId === runId) this.#leakage = report;
    } catch (err) {
      this.#app.report(err);
    } finally {
      this.#checking = false;
    }
  }
}
