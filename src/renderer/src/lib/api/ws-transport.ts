import type {
  ApiEvents,
  EventName,
  MethodChannel,
  OcellusClient,
  RpcResult,
} from '../../../../shared/api';
import { isEventName, mediaPath } from '../../../../shared/api';
import { buildClient, type Subscriber, type WsServerMessage } from '../../../../shared/rpc';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/**
 * The client over a WebSocket to the browser-mode server. Calls made while connecting
 * wait for the socket; a dropped connection fails pending calls and reconnects.
 */
export function createWsClient(
  url: string,
  token: string,
  onState: (state: ConnectionState) => void = () => {},
): OcellusClient {
  let socket: WebSocket | null = null;
  let nextId = 1;
  let retryMs = 250;
  const pending = new Map<number, (result: RpcResult) => void>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let opened: Promise<WebSocket>;

  const connect = (): Promise<WebSocket> =>
    new Promise((resolve) => {
      onState('connecting');
      const ws = new WebSocket(url);
      socket = ws;
      ws.addEventListener('open', () => {
        retryMs = 250;
        onState('open');
        resolve(ws);
      });
      ws.addEventListener('message', (ev) => handle(String(ev.data)));
      ws.addEventListener('close', () => {
        onState('closed');
        for (const [id, settle] of pending) {
          pending.delete(id);
          settle({
            ok: false,
            error: { code: 'TRANSPORT', message: 'Connection to Ocellus lost' },
          });
        }
        setTimeout(() => {
          opened = connect();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      });
    });

  const handle = (raw: string) => {
    let msg: WsServerMessage;
    try {
      msg = JSON.parse(raw) as WsServerMessage;
    } catch {
      return;
    }
    if (msg.type === 'result') {
      const settle = pending.get(msg.id);
      pending.delete(msg.id);
      settle?.(msg.result);
    } else if (msg.type === 'event' && isEventName(msg.event)) {
      for (const listener of listeners.get(msg.event) ?? []) listener(msg.payload);
    }
  };

  opened = connect();

  const invoke = async (channel: MethodChannel, args: unknown[]): Promise<RpcResult> => {
    const ws = socket?.readyState === WebSocket.OPEN ? socket : await opened;
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      ws.send(JSON.stringify({ type: 'call', id, channel, args }));
    });
  };
  const subscribe: Subscriber = <E extends EventName>(
    event: E,
    listener: (payload: ApiEvents[E]) => void,
  ) => {
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
    }
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  };
  return buildClient(invoke, subscribe, (kind, id, version) => {
    const v = version ? `&v=${encodeURIComponent(version)}` : '';
    return `${mediaPath(kind, id)}?token=${encodeURIComponent(token)}${v}`;
  });
}
