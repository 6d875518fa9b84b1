import { Menu, app, dialog, type MenuItemConstructorOptions } from 'electron';
import type { OcellusService } from '../core/service';

/** Builds the app menu: New / Open / Recent / Close, plus the standard roles. */
export async function installMenu(service: OcellusService): Promise<void> {
  const { api } = service;
  const run = (action: () => Promise<unknown>) => () => {
    action().catch((err: unknown) =>
      dialog.showErrorBox('Ocellus', err instanceof Error ? err.message : String(err)),
    );
  };
  const recent = await api.app.recentProjects();
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? recent.map((r) => ({
        label: `${r.name} — ${r.path}`,
        enabled: r.exists,
        click: run(() => api.project.open(r.path)),
      }))
    : [{ label: 'No recent projects', enabled: false }];
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        {
          label: 'New Project…',
          accelerator: 'CmdOrCtrl+N',
          click: run(async () => {
            const file = await api.dialogs.chooseNewProjectPath('Untitled');
            if (file) await api.project.create({ path: file });
          }),
        },
        {
          label: 'Open Project…',
          accelerator: 'CmdOrCtrl+O',
          click: run(async () => {
            const file = await api.dialogs.chooseProjectToOpen();
            if (file) await api.project.open(file);
          }),
        },
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        {
          label: 'Close Project',
          accelerator: 'CmdOrCtrl+W',
          click: run(() => api.project.close()),
        },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: `Ocellus ${app.getVersion()}`, enabled: false }] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
