import type {
  AssistSettings,
  HeatMap,
  PredictionDetail,
  PredictionStatus,
} from '../../../../shared/types';
import { debounced } from '../debounce';
import { appState } from './app.svelte';
import { library } from './library.svelte';

/** Model assistance: suggestion status, quick retrain, similar images and heat maps. */
class AssistState {
  status = $state<PredictionStatus | null>(null);
  settings = $state<AssistSettings | null>(null);
  /** The shown image's suggestion with every class's probability. */
  detail = $state<PredictionDetail | null>(null);
  heatMap = $state<HeatMap | null>(null);
  heatMapBusy = $state(false);
  heatOpacity = $state(0.5);
  similarBusy = $state(false);
  /** "Found 48 similar in 12 ms (100,000 scanned)". */
  similarNote = $state<string | null>(null);

  private readonly scheduleStatus = debounced(() => void this.refreshStatus());

  constructor() {
    appState.onStart((client) => {
      if (appState.project) void this.refresh();
      client.on('assist:changed', (s) => {
        const newRun = s.runId !== this.status?.runId;
        this.status = s;
        // New suggestions: tiles and the queue change under the user.
        if (newRun) void library.refresh();
      });
      // Confirming changes the counts; the main side only pushes new suggestion sets.
      client.on('labels:changed', () => this.scheduleStatus(300));
      client.on('project:changed', (p) => {
        this.status = null;
        this.settings = null;
        this.detail = null;
        this.heatMap = null;
        this.similarNote = null;
        // After the app state has taken the new project in (its listener may run later).
        if (p) queueMicrotask(() => void this.refresh());
      });
    });
  }

  async refresh(): Promise<void> {
    if (!appState.project) return;
    try {
      const api = appState.api();
      const [status, settings] = await Promise.all([api.assist.status(), api.assist.settings()]);
      this.status = status;
      this.settings = settings;
    } catch (err) {
      appState.report(err);
    }
  }

  private async refreshStatus(): Promise<void> {
    if (!appState.project) return;
    try {
      this.status = await appState.api().assist.status();
    } catch (err) {
      appState.report(err);
    }
  }

  /** Loads the suggestion details of an image (the image view). */
  async loadDetail(imageId: number | null): Promise<void> {
    if (imageId === null || !this.status?.runId) {
      this.detail = null;
      return;
    }
    try {
      const d = await appState.api().assist.prediction(imageId);
      this.detail = d;
    } catch (err) {
      appState.report(err);
    }
  }

  async setQuickRetrain(on: boolean): Promise<void> {
    await appState.guard(async () => {
      this.settings = await appState.api().assist.updateSettings({ quickRetrain: on });
    });
  }

  /** How many suggestions a bulk accept at this confidence would confirm. */
  async bulkPreview(threshold: number, classId: number | null): Promise<number | null> {
    try {
      return (await appState.api().assist.bulkAcceptPreview(threshold, classId)).count;
    } catch (err) {
      appState.report(err);
      return null;
    }
  }

  /** Shows the images most like one in the grid, selected, to label them in one go. */
  async showSimilar(imageId: number, k = 48): Promise<void> {
    this.similarBusy = true;
    try {
      const res = await appState.api().assist.similar(imageId, k);
      this.similarNote = `${res.items.length} most similar (${res.scanned.toLocaleString()} images scanned in ${res.milliseconds} ms)`;
      const ids = res.items.map((i) => i.imageId);
      library.setFilter({ kind: 'similar', imageId, ids });
      for (const id of [imageId, ...ids]) library.selected.add(id);
      appState.view = 'library';
    } catch (err) {
      appState.report(err);
    } finally {
      this.similarBusy = false;
    }
  }

  async loadHeatMap(imageId: number): Promise<void> {
    this.heatMapBusy = true;
    try {
      this.heatMap = await appState.api().assist.heatMap(imageId);
    } catch (err) {
      appState.report(err);
    } finally {
      this.heatMapBusy = false;
    }
  }

  hideHeatMap(): void {
    this.heatMap = null;
  }
}

export const assist = new AssistState();
