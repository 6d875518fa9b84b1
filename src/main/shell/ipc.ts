import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { ipcChannel, listMethods } from '../../shared/api';
import { OcellusError, serializeError } from '../../shared/errors';
import { dispatch } from '../core/service/dispatch';
import type { OcellusService } from '../core/service';

/**
 * Binds every method of the contract to Electron IPC through one typed handler that
 * refuses calls from any frame but the app's own.
 */
export function bindIpc(
  ipcMain: IpcMain,
  service: OcellusService,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean,
): () => void {
  const channels = listMethods().map(({ channel }) => {
    const name = ipcChannel(channel);
    ipcMain.handle(name, async (event, args: unknown) => {
      if (!isTrustedSender(event)) {
        return {
          ok: false,
          error: serializeError(new OcellusError('UNAUTHORIZED', 'Call from an untrusted frame')),
        };
      }
      return dispatch(service.api, channel, args);
    });
    return name;
  });
  return () => channels.forEach((name) => ipcMain.removeHandler(name));
}
