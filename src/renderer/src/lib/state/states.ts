import { AppState } from './app.svelte';
import { AssistState } from './assist.svelte';
import { ClinicState } from './clinic.svelte';
import { DetectState } from './detect.svelte';
import { EvaluateState } from './evaluate.svelte';
import { ExportState } from './export.svelte';
import { ImageViewState } from './image-view.svelte';
import { JobsState } from './jobs.svelte';
import { LabelsState } from './labels.svelte';
import { LibraryState } from './library.svelte';
import { MlState } from './ml.svelte';
import { TrainState } from './train.svelte';

/** Every state object of the renderer, built once per app (or per test). */
export interface States {
  app: AppState;
  labels: LabelsState;
  library: LibraryState;
  imageView: ImageViewState;
  jobs: JobsState;
  ml: MlState;
  training: TrainState;
  assist: AssistState;
  evaluation: EvaluateState;
  exportState: ExportState;
  clinic: ClinicState;
  detect: DetectState;
}

/**
 * Builds the state objects around one app state, each given the others it uses. The order
 * matters: each registers its event listeners when the client starts, in this order, and the
 * app state's own come first.
 */
export function createStates(app: AppState = new AppState()): States {
  // The order the modules were first imported in when they were singletons.
  const jobs = new JobsState(app);
  const ml = new MlState(app);
  const labels = new LabelsState(app);
  const library = new LibraryState(app);
  const assist = new AssistState(app, labels, library);
  const imageView = new ImageViewState(app, library);
  const training = new TrainState(app, ml);
  const exportState = new ExportState(app, labels);
  const evaluation = new EvaluateState(app, labels);
  const clinic = new ClinicState(app, evaluation);
  const detect = new DetectState(app, labels, library);
  return {
    app,
    labels,
    library,
    imageView,
    jobs,
    ml,
    training,
    assist,
    evaluation,
    exportState,
    clinic,
    detect,
  };
}
