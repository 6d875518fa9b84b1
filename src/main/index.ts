/** The Electron shell: wires the core service to a window, IPC, a menu and the OS. */
import { BrowserWindow, app, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { API_EVENTS, ipcEventChannel } from '../shared/api';
import { defaultProjectDir } from './core/app/app-paths';
import { createOcellusService } from './core/service';
import { setMlProcessLauncher } from './core/ml/embed-pool';
import { createNativeDialogs } from './shell/dialogs';
import { bindIpc } from './shell/ipc';
import { installMenu } from './shell/menu';
import { electronSqliteBinding } from './shell/native-binding';
import { APP_ORIGIN, isAppUrl as isAppUrlOf } from './shell/app-url';
import { handleAppScheme, registerAppScheme } from './shell/protocol';
import { utilityProcessLauncher } from './shell/ml-process';
import { linksShownByTheApp } from './shell/external-links';
import { hardenApp } from './shell/security';
import { createMainWindow } from './shell/window';

const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const rendererUrl = devServerUrl ?? `${APP_ORIGIN}/index.html`;
const isAppUrl = (url: string): boolean => isAppUrlOf(url, devServerUrl);
const resourcesDir = (): string =>
  app.isPackaged ? process.resourcesPath : path.join(app.getAppPath(), 'resources');
const projectArg = (argv: string[]) =>
  argv.slice(1).find((a) => a.toLowerCase().endsWith('.ocellus'));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();
  hardenApp(isAppUrl, () => linksShownByTheApp(resourcesDir()));
  setMlProcessLauncher(utilityProcessLauncher);
  let win: BrowserWindow | null = null;
  let pendingOpen = projectArg(process.argv);

  const service = createOcellusService({
    host: 'electron',
    appVersion: app.getVersion(),
    appDataDir: app.getPath('userData'),
    defaultProjectDir: app.getPath('documents'),
    capabilities: { nativeDialogs: true, revealInFolder: true },
    dialogs: createNativeDialogs(() => app.getPath('documents') || defaultProjectDir()),
    nativeBinding: electronSqliteBinding(app.getAppPath(), app.isPackaged),
    resourcesDir: resourcesDir(),
    mlWorkerFile: path.join(__dirname, 'embed-worker.js'),
  });
  const openProject = (file: string) =>
    service.api.project
      .open(path.resolve(file))
      .catch((err: unknown) =>
        dialog.showErrorBox(
          'Could not open project',
          err instanceof Error ? err.message : String(err),
        ),
      );

  app.on('second-instance', (_event, argv) => {
    const file = projectArg(argv);
    if (file) void openProject(file);
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('open-file', (event, file) => {
    event.preventDefault();
    if (app.isReady()) void openProject(file);
    else pendingOpen = file;
  });

  void app.whenReady().then(async () => {
    handleAppScheme(path.join(__dirname, '../renderer'), service);
    const isTrusted = (event: IpcMainInvokeEvent) => isAppUrl(event.senderFrame?.url ?? '');
    bindIpc(ipcMain, service, isTrusted);
    for (const event of API_EVENTS) {
      service.bus.on(event, (payload) => {
        for (const w of BrowserWindow.getAllWindows())
          w.webContents.send(ipcEventChannel(event), payload);
      });
    }
    service.bus.on('recent:changed', () => void installMenu(service));
    await installMenu(service);
    if (pendingOpen) await openProject(pendingOpen);
    win = createMainWindow(rendererUrl);
    win.on('closed', () => (win = null));
  });

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => void service.dispose());
}
