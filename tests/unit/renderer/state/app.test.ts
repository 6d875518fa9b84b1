import { describe, expect, it } from 'vitest';
import { OcellusError } from '../../../../src/shared/errors';
import { PROJECT, startStates } from './fake-client';

describe('AppState', () => {
  it('refuses a project name that cannot be a file name, and calls nothing', async () => {
    const { states, api } = await startStates();
    const { app } = states;
    expect(await app.createProject('/data', '  ', 'single')).toBe(false);
    expect(app.error).toBe('Give the project a name.');
    expect(await app.createProject('/data', 'a/b', 'single')).toBe(false);
    expect(app.error).toBe('A project name cannot contain \\ / : * ? " < > |');
    expect(api.callsOf('project.create')).toEqual([]);
  });

  it('creates the project file in the folder, named after the project', async () => {
    const { states, api } = await startStates({
      'project.create': PROJECT,
      'project.status': null,
    });
    expect(await states.app.createProject('/data/', ' deer ', 'multi')).toBe(true);
    expect(api.callsOf('project.create')).toEqual([
      [{ path: '/data/deer.ocellus', name: 'deer', labelMode: 'multi' }],
    ]);
    expect(states.app.project).toEqual(PROJECT);
  });

  it('shows a failed call as the error message, and keeps the project when closing fails', async () => {
    const { states } = await startStates({
      'project.current': PROJECT,
      'project.status': null,
      'project.close': () => {
        throw new OcellusError('PROJECT_LOCKED', 'The project is busy');
      },
    });
    const { app } = states;
    await app.closeProject();
    expect(app.error).toBe('The project is busy');
    expect(app.project).toEqual(PROJECT);
    expect(app.busy).toBe(false);
  });
});
