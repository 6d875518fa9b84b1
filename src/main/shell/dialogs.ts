import fs from 'node:fs';
import { BrowserWindow, dialog, shell } from 'electron';
import path from 'node:path';
import type { DialogsApi } from '../../shared/api';

const FILTERS = [{ name: 'Ocellus project', extensions: ['ocellus'] }];

/** Native open/save dialogs, parented to the focused window. */
export function createNativeDialogs(defaultDir: () => string): DialogsApi {
  const parent = () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  return {
    async chooseProjectToOpen() {
      const win = parent();
      const options = {
        properties: ['openFile' as const],
        filters: FILTERS,
        defaultPath: defaultDir(),
      };
      const result = win
        ? await dialog.showOpenDialog(win, options)
        : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    async chooseNewProjectPath(suggestedName) {
      const win = parent();
      const name =
        typeof suggestedName === 'string' && suggestedName.trim()
          ? suggestedName.trim()
          : 'Untitled';
      const options = { filters: FILTERS, defaultPath: path.join(defaultDir(), `${name}.ocellus`) };
      const result = win
        ? await dialog.showSaveDialog(win, options)
        : await dialog.showSaveDialog(options);
      return result.canceled || !result.filePath ? null : result.filePath;
    },
    async chooseFolder(title) {
      const win = parent();
      const options = {
        title: typeof title === 'string' ? title : 'Choose a folder',
        properties: ['openDirectory' as const],
      };
      const result = win
        ? await dialog.showOpenDialog(win, options)
        : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    async showInFolder(target) {
      if (typeof target !== 'string' || !fs.existsSync(target)) return;
      shell.showItemInFolder(path.resolve(target));
    },
  };
}
