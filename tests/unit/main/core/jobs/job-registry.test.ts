import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../../../src/shared/types';
import { EventBus } from '../../../../../src/main/core/event-bus';
import { JobRegistry } from '../../../../../src/main/core/jobs/job-registry';

describe('JobRegistry', () => {
  it('reports progress and completion as events', async () => {
    const bus = new EventBus();
    const updates: JobInfo[] = [];
    bus.on('job:updated', (j) => updates.push(j));
    const jobs = new JobRegistry(bus);
    const { info, done } = jobs.start('test', 'Counting', async (ctx) => {
      for (let i = 1; i <= 5; i++) ctx.progress(i, 5);
    });
    expect(info.state).toBe('running');
    const final = await done;
    expect(final).toMatchObject({ state: 'done', done: 5, total: 5 });
    expect(updates.at(-1)).toMatchObject({ id: info.id, state: 'done' });
    expect(jobs.list()[0]?.id).toBe(info.id);
  });

  it('cancels a job that checks its signal, and records failures', async () => {
    const jobs = new JobRegistry(new EventBus());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { info, done } = jobs.start('test', 'Waiting', async (ctx) => {
      await gate;
      ctx.throwIfCancelled();
    });
    jobs.cancel(info.id);
    release();
    expect((await done).state).toBe('cancelled');

    const failed = await jobs.start('test', 'Failing', async () => {
      throw new Error('disk full');
    }).done;
    expect(failed).toMatchObject({ state: 'failed', error: 'disk full' });
  });
});
