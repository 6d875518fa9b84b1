/** The `dialogs` domain of the API contract (see ../api.ts). */

export interface DialogsApi {
  /** Native "open project" dialog; null when cancelled. UNSUPPORTED outside Electron. */
  chooseProjectToOpen(): Promise<string | null>;
  /** Native "save as" dialog for a new project; null when cancelled. UNSUPPORTED outside Electron. */
  chooseNewProjectPath(suggestedName: string): Promise<string | null>;
  /** Native folder picker; null when cancelled. UNSUPPORTED outside Electron. */
  chooseFolder(title: string): Promise<string | null>;
  /** Shows a file or folder in the system file manager. UNSUPPORTED outside Electron. */
  showInFolder(path: string): Promise<void>;
}
