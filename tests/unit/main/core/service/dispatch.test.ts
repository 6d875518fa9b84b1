import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../../../../src/shared/api';
import { dispatch } from '../../../../../src/main/core/service/dispatch';
import { makeTestService } from '../../../../helpers/service';

describe('service through dispatch', () => {
  let t: ReturnType<typeof makeTestService>;
  beforeEach(() => (t = makeTestService()));
  afterEach(() => t.cleanup());

  it('creates, closes and reopens a project, with events and a recent list', async () => {
    const events: [keyof ApiEvents, unknown][] = [];
    t.service.bus.on('project:changed', (p) => events.push(['project:changed', p]));
    t.service.bus.on('recent:changed', (r) => events.push(['recent:changed', r]));
    const file = path.join(t.dir, 'birds.ocellus');

    const created = await dispatch(t.service.api, 'project.create', [
      { path: file, name: 'Birds' },
    ]);
    expect(created).toMatchObject({ ok: true, value: { name: 'Birds', path: file } });
    expect(await dispatch(t.service.api, 'project.current', [])).toMatchObject({
      ok: true,
      value: { name: 'Birds' },
    });
    expect(await dispatch(t.service.api, 'project.close', [])).toEqual({ ok: true, value: null });
    expect(await dispatch(t.service.api, 'project.current', [])).toEqual({ ok: true, value: null });

    const recent = await dispatch(t.service.api, 'app.recentProjects', []);
    expect(recent).toMatchObject({
      ok: true,
      value: [{ path: file, name: 'Birds', exists: true }],
    });
    expect(await dispatch(t.service.api, 'project.open', [file])).toMatchObject({ ok: true });
    expect(events.map((e) => e[0])).toEqual([
      'recent:changed',
      'project:changed',
      'project:changed',
      'recent:changed',
      'project:changed',
    ]);
    expect(events[2]?.[1]).toBeNull();
  });

  it('answers bad calls with typed errors, never throws', async () => {
    expect(await dispatch(t.service.api, 'project.drop', [])).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' },
    });
    expect(await dispatch(t.service.api, 'toString', [])).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' },
    });
    expect(await dispatch(t.service.api, 'project.open', 'x')).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await dispatch(t.service.api, 'project.open', [42])).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await dispatch(t.service.api, 'project.status', [])).toMatchObject({
      ok: false,
      error: { code: 'NO_PROJECT_OPEN' },
    });
    expect(await dispatch(t.service.api, 'dialogs.chooseProjectToOpen', [])).toMatchObject({
      ok: false,
      error: { code: 'UNSUPPORTED' },
    });
    expect(await dispatch(t.service.api, 'jobs.cancel', ['nope'])).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('keeps the current project open when opening another file fails', async () => {
    const file = path.join(t.dir, 'keep.ocellus');
    await t.service.api.project.create({ path: file });
    const bad = await dispatch(t.service.api, 'project.open', [
      path.join(t.dir, 'missing.ocellus'),
    ]);
    expect(bad).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await t.service.api.project.current())?.path).toBe(file);
  });
});
