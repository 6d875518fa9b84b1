import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QuickRetrain } from '../../../../../src/main/core/assist/quick-retrain';
import type { QuickRetrainStatus } from '../../../../../src/shared/types';

describe('quick retrain', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(blocker: string | null = null) {
    let enabled = true;
    const runs: { resolve: (id: number) => void }[] = [];
    const states: QuickRetrainStatus['state'][] = [];
    const q = new QuickRetrain({
      enabled: () => enabled,
      delayMs: () => 3000,
      blocker: () => blocker,
      retrain: () => new Promise<number>((resolve) => runs.push({ resolve })),
      onChange: (s) => states.push(s.state),
    });
    return { q, runs, states, setEnabled: (on: boolean) => (enabled = on) };
  }

  it('waits for a pause in labelling, then trains once', async () => {
    const { q, runs, states } = setup();
    q.labelsChanged();
    await vi.advanceTimersByTimeAsync(2000);
    q.labelsChanged(); // restarts the wait
    await vi.advanceTimersByTimeAsync(2500);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(600);
    expect(runs).toHaveLength(1);
    expect(q.current().state).toBe('training');
    runs[0]?.resolve(7);
    await vi.advanceTimersByTimeAsync(0);
    expect(q.current()).toMatchObject({ state: 'idle', lastRunId: 7 });
    expect(states).toContain('waiting');
  });

  it('never trains twice at once; labels during a run schedule one more', async () => {
    const { q, runs } = setup();
    q.labelsChanged();
    await vi.advanceTimersByTimeAsync(3000);
    expect(runs).toHaveLength(1);
    q.labelsChanged();
    q.labelsChanged();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(1);
    runs[0]?.resolve(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(runs).toHaveLength(2);
  });

  it('drops the reason it could not run once a run has finished', async () => {
    const { q, runs } = setup('Train a first run in the Train view');
    q.labelsChanged();
    await vi.advanceTimersByTimeAsync(3000);
    expect(q.current().state).toBe('unavailable');
    expect(q.current().detail).toMatch(/first run/);
    q.runFinished();
    expect(q.current()).toMatchObject({ state: 'idle', detail: null });
    expect(runs).toHaveLength(0);
  });

  it('does nothing when switched off, and says why it cannot run', async () => {
    const off = setup();
    off.setEnabled(false);
    off.q.labelsChanged();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(off.runs).toHaveLength(0);
    // Switched off while waiting: the wait is dropped.
    off.setEnabled(true);
    off.q.labelsChanged();
    off.setEnabled(false);
    off.q.settingsChanged();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(off.runs).toHaveLength(0);

    const blocked = setup('Train a first run in the Train view');
    blocked.q.labelsChanged();
    await vi.advanceTimersByTimeAsync(3000);
    expect(blocked.runs).toHaveLength(0);
    expect(blocked.q.current()).toMatchObject({
      state: 'unavailable',
      detail: 'Train a first run in the Train view',
    });
  });
});
