import type { QuickRetrainStatus } from '../../../shared/types';

export interface QuickRetrainDeps {
  enabled(): boolean;
  delayMs(): number;
  /** Why a retrain cannot run now (no earlier run, embeddings missing…), or null. */
  blocker(): string | null;
  /** Starts a retrain; resolves with its run id when the run has finished. */
  retrain(): Promise<number>;
  onChange(status: QuickRetrainStatus): void;
}

/**
 * Debounced background retraining: each label change restarts a timer; when it fires and
 * nothing blocks, one run trains (never two at once). Labels that arrive meanwhile schedule
 * one more run after it, so suggestions catch up with the latest labels.
 */
export class QuickRetrain {
  private timer: NodeJS.Timeout | null = null;
  private training = false;
  private again = false;
  private disposed = false;
  private status: QuickRetrainStatus;

  constructor(private readonly deps: QuickRetrainDeps) {
    this.status = {
      enabled: deps.enabled(),
      state: 'idle',
      detail: null,
      lastRunId: null,
    };
  }

  /** The current state, for status calls. */
  current(): QuickRetrainStatus {
    return { ...this.status, enabled: this.deps.enabled() };
  }

  /** Labels changed: (re)start the wait. */
  labelsChanged(): void {
    if (this.disposed || !this.deps.enabled()) return;
    if (this.training) {
      this.again = true;
      return;
    }
    this.schedule();
  }

  /**
   * A run ended: why the last attempt could not train ("train a first run", "a run is in
   * progress") may no longer hold, so it is not shown as the reason any more.
   */
  runFinished(): void {
    if (this.disposed || this.training || this.status.state !== 'unavailable') return;
    this.set('idle', null);
  }

  /** Settings changed: stop waiting when switched off. */
  settingsChanged(): void {
    if (!this.deps.enabled()) {
      this.clearTimer();
      this.again = false;
      if (!this.training) this.set('idle', null);
    } else this.set(this.status.state, this.status.detail);
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimer();
  }

  private schedule(): void {
    this.clearTimer();
    this.set('waiting', null);
    this.timer = setTimeout(() => void this.fire(), this.deps.delayMs());
    this.timer.unref?.();
  }

  private async fire(): Promise<void> {
    this.timer = null;
    if (this.disposed || !this.deps.enabled()) return;
    const blocker = this.deps.blocker();
    if (blocker) {
      this.set('unavailable', blocker);
      return;
    }
    this.training = true;
    this.again = false;
    this.set('training', null);
    try {
      this.status.lastRunId = await this.deps.retrain();
      this.set('idle', null);
    } catch (err) {
      this.set('unavailable', err instanceof Error ? err.message : String(err));
    } finally {
      this.training = false;
    }
    if (this.again && !this.disposed && this.deps.enabled()) this.schedule();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private set(state: QuickRetrainStatus['state'], detail: string | null): void {
    this.status = { ...this.status, enabled: this.deps.enabled(), state, detail };
    this.deps.onChange(this.current());
  }
}
