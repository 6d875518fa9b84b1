/**
 * Transport-neutral plumbing for the contract: building a typed client from a raw
 * `invoke`, and the message shapes of the WebSocket transport.
 */
import {
  API_METHODS,
  type ApiEvents,
  type Domain,
  type EventName,
  type MethodChannel,
  type OcellusClient,
  type RpcResult,
} from './api';
import { deserializeError } from './errors';

/** Sends one call and resolves with its envelope. */
export type Invoker = (channel: MethodChannel, args: unknown[]) => Promise<RpcResult>;
/** Subscribes to one event; returns the unsubscribe function. */
export type Subscriber = <E extends EventName>(
  event: E,
  listener: (payload: ApiEvents[E]) => void,
) => () => void;

/** Unwraps an envelope: the value, or a typed OcellusError thrown. */
export function unwrap(result: RpcResult): unknown {
  if (result.ok) return result.value;
  throw deserializeError(result.error);
}

/** Builds the typed client of the whole contract over any transport. */
export function buildClient(
  invoke: Invoker,
  subscribe: Subscriber,
  mediaUrl: OcellusClient['mediaUrl'] = () => '',
): OcellusClient {
  const client: Record<string, unknown> = {};
  for (const domain of Object.keys(API_METHODS) as Domain[]) {
    const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const method of API_METHODS[domain]) {
      const channel = `${domain}.${method}` as MethodChannel;
      methods[method] = async (...args: unknown[]) => unwrap(await invoke(channel, args));
    }
    client[domain] = methods;
  }
  client['on'] = subscribe;
  client['mediaUrl'] = mediaUrl;
  // The loop above creates exactly the members listed in API_METHODS, which the
  // compiler has proven equal to OcellusApi; TypeScript cannot follow that through a loop.
  return client as unknown as OcellusClient;
}

/** Client → server over WebSocket. */
export interface WsCall {
  type: 'call';
  id: number;
  channel: string;
  args: unknown[];
}

/** Server → client over WebSocket. */
export type WsServerMessage =
  | { type: 'result'; id: number; result: RpcResult }
  | { type: 'event'; event: EventName; payload: unknown };

/** Parses and shape-checks a client message; null when it is not a well-formed call. */
export function parseWsCall(raw: string): WsCall | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const rec = data as Record<string, unknown>;
  if (rec['type'] !== 'call' || typeof rec['id'] !== 'number' || typeof rec['channel'] !== 'string')
    return null;
  if (!Array.isArray(rec['args'])) return null;
  return { type: 'call', id: rec['id'], channel: rec['channel'], args: rec['args'] as unknown[] };
}
