import {
  mediaPath,
  type MethodChannel,
  type OcellusClient,
  type PreloadBridge,
  type RpcResult,
} from '../../../../shared/api';
import { buildClient, type Subscriber } from '../../../../shared/rpc';

/** The client over Electron IPC, through the preload's `window.ocellus`. */
export function createIpcClient(bridge: PreloadBridge): OcellusClient {
  const invoke = (channel: MethodChannel, args: unknown[]): Promise<RpcResult> => {
    const [domain, method] = channel.split('.') as [keyof PreloadBridge, string];
    // The bridge was generated from the same method table as `channel`.
    const fn = (
      bridge[domain] as unknown as Record<string, (...a: unknown[]) => Promise<RpcResult>>
    )[method];
    if (!fn) throw new Error(`The preload does not expose ${channel}`);
    return fn(...args);
  };
  const subscribe: Subscriber = (event, listener) => bridge.on(event, listener);
  // Media come from the app's own scheme, which this page is served from too.
  return buildClient(invoke, subscribe, (kind, id, version) =>
    version ? `${mediaPath(kind, id)}?v=${encodeURIComponent(version)}` : mediaPath(kind, id),
  );
}
