import type { OcellusClient } from '../../../../shared/api';
import { createIpcClient } from './ipc-transport';
import { createWsClient, type ConnectionState } from './ws-transport';

export type { ConnectionState };

/**
 * Picks the transport at start-up: the preload bridge inside Electron, otherwise the
 * WebSocket of the browser-mode server that served this page (token from the URL).
 */
export function createClient(onState: (state: ConnectionState) => void): OcellusClient {
  if (window.ocellus) {
    onState('open');
    return createIpcClient(window.ocellus);
  }
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const wsUrl = new URL('/api', window.location.href);
  wsUrl.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  wsUrl.search = `?token=${encodeURIComponent(token)}`;
  return createWsClient(wsUrl.toString(), token, onState);
}
