import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../../src/shared/types';
import { startStates } from './fake-client';

function job(over: Partial<JobInfo>): JobInfo {
  return {
    id: 'j1',
    kind: 'train',
    title: 'Train run 1',
    state: 'running',
    done: 0,
    total: 10,
    rate: null,
    etaSeconds: null,
    detail: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: null,
    error: null,
    subject: null,
    retryable: false,
    ...over,
  };
}

describe('JobsState', () => {
  it('toasts a job once when it ends, and forgets the toast once read', async () => {
    const { states, api } = await startStates();
    const { jobs } = states;
    api.emit('job:updated', job({}));
    expect(jobs.running.map((j) => j.id)).toEqual(['j1']);
    expect(jobs.toasts).toEqual([]);

    const failed = job({ state: 'failed', error: 'Out of memory', retryable: true });
    api.emit('job:updated', failed);
    api.emit('job:updated', failed);
    expect(jobs.toasts.map((t) => [t.jobId, t.state, t.message])).toEqual([
      ['j1', 'failed', 'Out of memory'],
    ]);
    expect(jobs.unreadFailures).toBe(1);
    expect(jobs.unreadOutcome('train')?.id).toBe('j1');

    jobs.markRead('j1');
    expect(jobs.toasts).toEqual([]);
    expect(jobs.unreadFailures).toBe(0);
    expect(jobs.unreadOutcome('train')).toBeUndefined();
  });

  it('does not announce a finished import (the watcher starts many)', async () => {
    const { states, api } = await startStates();
    api.emit('job:updated', job({ id: 'i1', kind: 'import' }));
    api.emit('job:updated', job({ id: 'i1', kind: 'import', state: 'done' }));
    expect(states.jobs.toasts).toEqual([]);
    expect(states.jobs.finished.map((j) => j.id)).toEqual(['i1']);
  });
});
