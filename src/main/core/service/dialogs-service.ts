import type { DialogsApi } from '../../../shared/api';
import { OcellusError } from '../../../shared/errors';

/** Dialogs where the host has none (browser mode, CLI): the UI asks for a path instead. */
export function createUnsupportedDialogs(): DialogsApi {
  const unsupported = async (): Promise<never> => {
    throw new OcellusError('UNSUPPORTED', 'Native dialogs exist only in the desktop app');
  };
  return {
    chooseProjectToOpen: unsupported,
    chooseNewProjectPath: unsupported,
    chooseFolder: unsupported,
    showInFolder: unsupported,
  };
}
