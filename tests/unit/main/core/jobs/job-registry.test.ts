import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../../../src/shared/types';
import { EventBus } from '../../../../../src/main/core/util/event-bus';
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

  it("shows a finished job's outcome in place of its last phase, and a cancelled job's phase as it was", async () => {
    const jobs = new JobRegistry(new EventBus());
    const plain = await jobs.start('test', 'Plain', async (ctx) => {
      ctx.phase('Refitting on all images', 1);
    }).done;
    expect(plain.detail).toBe('Refitting on all images');
    const told = await jobs.start('test', 'Told', async (ctx) => {
      ctx.phase('Refitting on all images', 1);
      return 'Estimated accuracy 90.0 %';
    }).done;
    expect(told.detail).toBe('Estimated accuracy 90.0 %');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stopped = jobs.start('test', 'Stopped', async (ctx) => {
      ctx.phase('Refitting on all images', 1);
      await gate;
      return 'Estimated accuracy 90.0 %';
    });
    jobs.cancel(stopped.info.id);
    release();
    expect(await stopped.done).toMatchObject({
      state: 'cancelled',
      detail: 'Refitting on all images',
    });
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

describe('JobRegistry outcomes', () => {
  it('says what a job works on and retries a failed one as a new job', async () => {
    const bus = new EventBus();
    const jobs = new JobRegistry(bus);
    const updates: JobInfo[] = [];
    const waiting = new Set<() => void>();
    bus.on('job:updated', (j) => {
      updates.push(j);
      for (const check of waiting) check();
    });
    // Resolves with a job's final update, whether it came before or after the call.
    const ended = (id: string) =>
      new Promise<JobInfo>((resolve) => {
        const check = () => {
          const last = updates.find((j) => j.id === id && j.state !== 'running');
          if (last) resolve(last);
        };
        waiting.add(check);
        check();
      });
    let attempts = 0;
    const start = (): JobInfo =>
      jobs.start(
        'download',
        'Downloading m',
        async () => {
          attempts++;
          if (attempts === 1) throw new Error('getaddrinfo ENOTFOUND example.invalid');
        },
        0,
        { subject: 'm', retry: () => start() },
      ).info;
    const first = start();
    expect(first).toMatchObject({ subject: 'm', retryable: true });
    expect(await ended(first.id)).toMatchObject({ state: 'failed', error: /ENOTFOUND/ });
    const second = await jobs.retry(first.id);
    expect(second.id).not.toBe(first.id);
    expect(second.subject).toBe('m');
    expect(await ended(second.id)).toMatchObject({ state: 'done' });
    await expect(jobs.retry(second.id)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses to retry a job without a retry, and an unknown job', async () => {
    const jobs = new JobRegistry(new EventBus());
    const { info, done } = jobs.start('test', 'Once', async () => {
      throw new Error('no');
    });
    await done;
    expect(info.retryable).toBe(false);
    await expect(jobs.retry(info.id)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(jobs.retry('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps the newest 100 finished jobs of a long session', async () => {
    const jobs = new JobRegistry(new EventBus());
    const ids: string[] = [];
    for (let i = 0; i < 105; i++) {
      const { info, done } = jobs.start('test', `Job ${i}`, async () => {});
      ids.push(info.id);
      await done;
    }
    const kept = jobs.list().map((j) => j.id);
    expect(kept).toHaveLength(100);
    expect(kept).not.toContain(ids[0]);
    expect(kept).toContain(ids[104]);
  });
});

describe('JobRegistry.stopAll', () => {
  /** A job that runs until it is asked to stop, then starts `then` (if any) as it ends. */
  const untilCancelled = (jobs: JobRegistry, kind: string, then?: () => void) =>
    jobs.start(kind, `${kind} job`, (ctx) => {
      return new Promise<void>((resolve) => {
        const stop = () => {
          then?.();
          resolve();
        };
        if (ctx.signal.aborted) stop();
        else ctx.signal.addEventListener('abort', stop);
      });
    });

  it('waits for the jobs it stops, and for a job started meanwhile, which starts cancelled', async () => {
    const jobs = new JobRegistry(new EventBus());
    let late: Promise<JobInfo> | null = null;
    // Suggestions after a run: started by the end of the job being stopped.
    const train = untilCancelled(jobs, 'train', () => {
      late = untilCancelled(jobs, 'predict').done;
    });
    const download = untilCancelled(jobs, 'download');
    expect(await jobs.stopAll(new Set(['download']))).toEqual([]);
    expect((await train.done).state).toBe('cancelled');
    expect(late).not.toBeNull();
    const lateJob = jobs.list().find((j) => j.kind === 'predict');
    expect(lateJob?.state).toBe('cancelled');
    // Kept kinds go on, and jobs start as usual once it returned.
    expect(jobs.list().find((j) => j.id === download.info.id)?.state).toBe('running');
    const after = untilCancelled(jobs, 'export');
    expect(jobs.list().find((j) => j.id === after.info.id)?.state).toBe('running');
    jobs.cancelAll();
    await Promise.all([download.done, after.done]);
  });

  it('names the jobs that did not stop in time', async () => {
    const jobs = new JobRegistry(new EventBus());
    let release = () => {};
    const stuck = jobs.start(
      'embed',
      'Embeddings with x',
      () => new Promise<void>((r) => (release = r)),
    );
    expect(await jobs.stopAll(new Set(), 50)).toEqual(['Embeddings with x']);
    release();
    expect((await stuck.done).state).toBe('cancelled');
  });
});
