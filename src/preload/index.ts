/**
 * The only bridge between the sandboxed renderer and the main process: `window.ocellus`,
 * generated from the contract's method and event tables.
 */
import { contextBridge, ipcRenderer } from 'electron';
import {
  API_METHODS,
  type Domain,
  type EventName,
  type PreloadBridge,
  ipcChannel,
  ipcEventChannel,
  isEventName,
  type MethodChannel,
} from '../shared/api';

const bridge: Record<string, unknown> = {};
for (const domain of Object.keys(API_METHODS) as Domain[]) {
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of API_METHODS[domain]) {
    const channel = ipcChannel(`${domain}.${method}` as MethodChannel);
    methods[method] = (...args: unknown[]) => ipcRenderer.invoke(channel, args);
  }
  bridge[domain] = methods;
}
bridge['on'] = (event: EventName, listener: (payload: unknown) => void) => {
  if (!isEventName(event)) throw new Error(`Unknown event: ${String(event)}`);
  const wrapped = (_e: unknown, payload: unknown) => listener(payload);
  ipcRenderer.on(ipcEventChannel(event), wrapped);
  return () => {
    ipcRenderer.removeListener(ipcEventChannel(event), wrapped);
  };
};

// Built from API_METHODS, which the compiler has proven to cover the contract.
contextBridge.exposeInMainWorld('ocellus', bridge as unknown as PreloadBridge);
