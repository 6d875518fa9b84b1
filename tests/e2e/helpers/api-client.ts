import WebSocket from 'ws';
import type { OcellusClient } from '../../../src/shared/api';
import { buildClient } from '../../../src/shared/rpc';
import type { RpcResult } from '../../../src/shared/api';
import type { OcellusServer } from '../fixtures';

/** The API over the server's WebSocket, as the renderer has it, for test set-up steps. */
export async function connectApi(
  server: OcellusServer,
): Promise<{ api: OcellusClient; close: () => void }> {
  const ws = new WebSocket(
    `ws://${new URL(server.origin).host}/api?token=${encodeURIComponent(server.token)}`,
    { origin: server.origin },
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 1;
  const pending = new Map<number, (r: RpcResult) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as
      | { type: 'result'; id: number; result: RpcResult }
      | { type: 'event'; event: string; payload: unknown };
    if (msg.type === 'result') {
      pending.get(msg.id)?.(msg.result);
      pending.delete(msg.id);
    } else for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
  });
  const api = buildClient(
    (channel, args) =>
      new Promise<RpcResult>((resolve) => {
        const id = next++;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ type: 'call', id, channel, args }));
      }),
    (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  );
  return { api, close: () => ws.close() };
}
