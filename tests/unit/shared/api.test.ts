import { describe, expect, it } from 'vitest';
import {
  API_EVENTS,
  API_METHODS,
  ipcChannel,
  isEventName,
  isMethodChannel,
  listMethods,
} from '../../../src/shared/api';
import { buildClient, parseWsCall } from '../../../src/shared/rpc';
import { OcellusError } from '../../../src/shared/errors';

describe('contract tables', () => {
  it('lists each method once with a unique IPC channel', () => {
    const methods = listMethods();
    const total = Object.values(API_METHODS).reduce((n, m) => n + m.length, 0);
    expect(methods).toHaveLength(total);
    expect(new Set(methods.map((m) => ipcChannel(m.channel))).size).toBe(total);
  });

  it('recognises only channels and events of the contract', () => {
    expect(isMethodChannel('project.open')).toBe(true);
    expect(isMethodChannel('project.constructor')).toBe(false);
    expect(isMethodChannel('__proto__.x')).toBe(false);
    expect(isEventName(API_EVENTS[0])).toBe(true);
    expect(isEventName('job:deleted')).toBe(false);
  });
});

describe('buildClient', () => {
  it('sends channel and args, unwraps values and rethrows typed errors', async () => {
    const calls: [string, unknown[]][] = [];
    const client = buildClient(
      async (channel, args) => {
        calls.push([channel, args]);
        if (channel === 'project.open') {
          return {
            ok: false,
            error: { code: 'NOT_A_PROJECT', message: 'nope', details: { path: 'x' } },
          };
        }
        return { ok: true, value: [] };
      },
      () => () => {},
    );
    await expect(client.app.recentProjects()).resolves.toEqual([]);
    const err = await client.project.open('/tmp/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OcellusError);
    expect((err as OcellusError).code).toBe('NOT_A_PROJECT');
    expect(calls).toEqual([
      ['app.recentProjects', []],
      ['project.open', ['/tmp/x']],
    ]);
  });
});

describe('parseWsCall', () => {
  it('accepts well-formed calls and rejects everything else', () => {
    expect(parseWsCall('{"type":"call","id":1,"channel":"app.info","args":[]}')).toEqual({
      type: 'call',
      id: 1,
      channel: 'app.info',
      args: [],
    });
    expect(parseWsCall('not json')).toBeNull();
    expect(parseWsCall('{"type":"call","id":"1","channel":"app.info","args":[]}')).toBeNull();
    expect(parseWsCall('{"type":"call","id":1,"channel":"app.info"}')).toBeNull();
  });
});
