// @ts-check
/**
 * electron-builder's afterPack hook (electron-builder.yml → afterPack): flips Electron's fuses
 * in the packaged binary, then checks that better-sqlite3 inside the package was rebuilt for
 * Electron's ABI. It runs before signing, which is where fuses must be flipped: signing after
 * would otherwise be invalidated by the change to the binary.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';
import { Arch } from 'electron-builder';

/**
 * The hardening Electron recommends, as one object (tests/unit/scripts/packaging.test.ts
 * checks each fuse). Fuses not named here keep Electron's default.
 * @type {import('@electron/fuses').FuseV1Config}
 */
export const FUSES = {
  version: FuseVersion.V1,
  // ELECTRON_RUN_AS_NODE would turn the signed app into a general-purpose Node.
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // Checked against the hash electron-builder embeds (Info.plist on macOS, a resource on Windows).
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // The renderer is served from app://, so file:// needs none of its legacy privileges.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The Electron executable inside a packaged app, named as electron-builder names it.
 * @param {import('electron-builder').AfterPackContext} context
 */
export function packagedExecutable(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') {
    return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
  }
  if (electronPlatformName === 'win32') {
    return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
  }
  // Only LinuxPackager has executableName (linux.executableName in electron-builder.yml).
  const linux = /** @type {{ executableName: string }} */ (/** @type {unknown} */ (packager));
  return path.join(appOutDir, linux.executableName);
}

/**
 * The resources folder of a packaged app (process.resourcesPath at run time).
 * @param {import('electron-builder').AfterPackContext} context
 */
export function packagedResources(context) {
  const exe = packagedExecutable(context);
  return exe.endsWith('.app')
    ? path.join(exe, 'Contents', 'Resources')
    : path.join(context.appOutDir, 'resources');
}

/**
 * Writes FUSES into the packaged binary.
 * @param {import('electron-builder').AfterPackContext} context
 */
export async function flipPackagedFuses(context) {
  const exe = packagedExecutable(context);
  const darwin =
    context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  // Changing the binary breaks the ad-hoc signature arm64 macOS needs to run an unsigned app.
  const adHoc = darwin && (context.arch === Arch.arm64 || context.arch === Arch.universal);
  await flipFuses(exe, { ...FUSES, resetAdHocDarwinSignature: adHoc });
}

/**
 * Fails the build when the packaged better-sqlite3 is not built for Electron's ABI, e.g. when a
 * global npm `nodedir` made the rebuild compile against Node's headers and still succeed. Only
 * a package for this machine's platform and arch can be loaded to check it.
 * @param {import('electron-builder').AfterPackContext} context
 */
export function verifyNativeModules(context) {
  const sameMachine =
    context.electronPlatformName === process.platform && Arch[context.arch] === process.arch;
  if (!sameMachine) return false;
  const addon = path.join(
    packagedResources(context),
    'app.asar.unpacked',
    'node_modules',
    'better-sqlite3',
    'build',
    'Release',
    'better_sqlite3.node',
  );
  if (!fs.existsSync(addon)) {
    throw new Error(
      `after-pack: ${addon} is missing: better-sqlite3 was not unpacked from the asar`,
    );
  }
  try {
    execFileSync(
      process.execPath,
      [path.join(root, 'scripts', 'electron-native.mjs'), '--verify', addon],
      {
        stdio: 'pipe',
      },
    );
  } catch (err) {
    const stderr = /** @type {{ stderr?: Buffer }} */ (err).stderr?.toString().trim();
    throw new Error(`after-pack: ${stderr || String(err)}`, { cause: err });
  }
  return true;
}

/** @param {import('electron-builder').AfterPackContext} context */
export default async function afterPack(context) {
  await flipPackagedFuses(context);
  verifyNativeModules(context);
}
