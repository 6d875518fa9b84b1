import fs from 'node:fs';
import path from 'node:path';
import { FuseState, FuseV1Options, FuseVersion, getCurrentFuseWire } from '@electron/fuses';
import { Arch, type AfterPackContext } from 'electron-builder';
import sharp from 'sharp';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import afterPack, {
  FUSES,
  flipPackagedFuses,
  packagedExecutable,
  verifyNativeModules,
} from '../../../scripts/after-pack.mjs';
import { makeTmpDir } from '../../helpers/tmp-dir';

interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { buildResources: string };
  files: string[];
  asarUnpack: string[];
  extraResources: { from: string; to: string; filter?: string[] }[];
  fileAssociations: { ext: string; mimeType?: string; role?: string }[];
  afterPack: string;
  npmRebuild?: boolean;
  linux: { target: string[]; icon: string; executableName: string };
  win: { target: string[]; icon: string };
  mac: { icon: string; target: { target: string; arch: string[] }[] };
}

const root = path.resolve(__dirname, '../../..');
const config = parse(
  fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'),
) as BuilderConfig;

// The marker before the fuse wire in every Electron binary (@electron/fuses's constants.js; its
// typings declare SENTINEL as exported, but the 2.1.3 build does not export it).
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

// Electron's shipped defaults, in wire order (electron/docs/tutorial/fuses.md).
const DEFAULT_WIRE = [
  FuseState.ENABLE, // RunAsNode
  FuseState.DISABLE, // EnableCookieEncryption
  FuseState.ENABLE, // EnableNodeOptionsEnvironmentVariable
  FuseState.ENABLE, // EnableNodeCliInspectArguments
  FuseState.DISABLE, // EnableEmbeddedAsarIntegrityValidation
  FuseState.DISABLE, // OnlyLoadAppFromAsar
  FuseState.DISABLE, // LoadBrowserProcessSpecificV8Snapshot
  FuseState.ENABLE, // GrantFileProtocolExtraPrivileges
  FuseState.ENABLE, // WasmTrapHandlers
];

/** A stand-in for an Electron binary: junk around the fuse sentinel and a default wire. */
function writeFakeElectron(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    Buffer.concat([
      Buffer.alloc(4096, 0x90),
      Buffer.from(SENTINEL),
      Buffer.from([1, DEFAULT_WIRE.length, ...DEFAULT_WIRE]),
      Buffer.alloc(4096, 0x90),
    ]),
  );
}

function fakeContext(
  appOutDir: string,
  electronPlatformName: string,
  arch: Arch = Arch.x64,
): AfterPackContext {
  const packager = { appInfo: { productFilename: 'Ocellus' }, executableName: 'ocellus' };
  return { appOutDir, electronPlatformName, arch, packager } as unknown as AfterPackContext;
}

describe('electron-builder.yml', () => {
  it('names the app and builds AppImage + deb, NSIS, and dmg for arm64 and x64', () => {
    expect(config.appId).toBe('org.ocellus.desktop');
    expect(config.productName).toBe('Ocellus');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['arm64', 'x64'] }]);
  });

  it('associates *.ocellus files with the app', () => {
    const assoc = config.fileAssociations.find((a) => a.ext === 'ocellus');
    expect(assoc?.role).toBe('Editor');
    expect(assoc?.mimeType).toBe('application/x-ocellus');
  });

  it('packs the built app, unpacks native modules, and rebuilds them for Electron', () => {
    expect(config.files).toContain('out/**');
    expect(config.files).toContain('!out/bench/**');
    for (const glob of [
      '**/*.node',
      'node_modules/sharp/**',
      'node_modules/@img/**',
      'node_modules/@tensorflow/tfjs-node/**',
      'node_modules/onnxruntime-node/**',
    ]) {
      expect(config.asarUnpack).toContain(glob);
    }
    expect(config.npmRebuild).not.toBe(false);
  });

  it('puts the zoo and bundled models where the packaged app looks: process.resourcesPath', () => {
    // src/main/index.ts: resourcesDir = process.resourcesPath; ModelStore reads <it>/models.
    const index = fs.readFileSync(path.join(root, 'src/main/index.ts'), 'utf8');
    expect(index).toContain('app.isPackaged ? process.resourcesPath');
    expect(config.extraResources).toContainEqual({
      from: 'resources/model-zoo.json',
      to: 'model-zoo.json',
    });
    const models = config.extraResources.find((r) => r.to === 'models');
    expect(models?.from).toBe('resources/models');
    expect(models?.filter).toContain('!.incoming/**');
  });

  it('wires the afterPack hook to the fuse script', async () => {
    expect(config.afterPack).toBe('./scripts/after-pack.mjs');
    const hook = (await import(path.join(root, config.afterPack))) as { default: unknown };
    expect(hook.default).toBe(afterPack);
  });

  it('ships real icons for each platform, rendered from resources/icon.svg', async () => {
    const res = path.join(root, config.directories.buildResources);
    const png = await sharp(path.join(res, config.linux.icon)).metadata();
    expect([png.format, png.width, png.height]).toEqual(['png', 512, 512]);

    const ico = fs.readFileSync(path.join(res, config.win.icon));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const sizes: number[] = [];
    for (let i = 0; i < ico.readUInt16LE(4); i++) {
      const e = 6 + 16 * i;
      const size = ico.readUInt8(e) || 256;
      const data = ico.subarray(
        ico.readUInt32LE(e + 12),
        ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8),
      );
      if (data.subarray(1, 4).toString('ascii') === 'PNG') {
        expect((await sharp(data).metadata()).width).toBe(size);
      } else {
        // A BITMAPINFOHEADER: width, then twice the height (image + AND mask), 32 bits per pixel.
        expect([
          data.readUInt32LE(0),
          data.readInt32LE(4),
          data.readInt32LE(8),
          data.readUInt16LE(14),
        ]).toEqual([40, size, size * 2, 32]);
      }
      sizes.push(size);
    }
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256]);

    const icns = fs.readFileSync(path.join(res, config.mac.icon));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const chunks: Record<string, number> = {};
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4)) {
      const data = icns.subarray(at + 8, at + icns.readUInt32BE(at + 4));
      chunks[icns.subarray(at, at + 4).toString('ascii')] =
        (await sharp(data).metadata()).width ?? 0;
    }
    expect(chunks).toMatchObject({ icp4: 16, ic07: 128, ic09: 512, ic10: 1024, ic14: 512 });
  });
});

describe('Electron fuses (scripts/after-pack.mjs)', () => {
  it('configures each hardening fuse', () => {
    expect(FUSES.version).toBe(FuseVersion.V1);
    expect(FUSES[FuseV1Options.RunAsNode]).toBe(false);
    expect(FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(FUSES[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(FUSES[FuseV1Options.EnableCookieEncryption]).toBe(true);
    expect(FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(FUSES[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
  });

  it.each([
    ['linux', 'ocellus'],
    ['win32', 'Ocellus.exe'],
  ])(
    'flips them in the packaged %s binary and leaves the others at their defaults',
    async (platform, exe) => {
      const tmp = makeTmpDir('ocellus-fuses-');
      try {
        const context = fakeContext(tmp.dir, platform);
        expect(packagedExecutable(context)).toBe(path.join(tmp.dir, exe));
        writeFakeElectron(path.join(tmp.dir, exe));
        await flipPackagedFuses(context);
        const wire = (await getCurrentFuseWire(path.join(tmp.dir, exe))) as unknown as Record<
          number,
          FuseState
        >;
        expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
        expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
        expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
        expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE);
        expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
        expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
        expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.DISABLE);
        expect(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(DEFAULT_WIRE[6]);
        expect(wire[FuseV1Options.WasmTrapHandlers]).toBe(DEFAULT_WIRE[8]);
      } finally {
        tmp.cleanup();
      }
    },
  );

  it('refuses a package whose better-sqlite3 is built for Node, not Electron', () => {
    const tmp = makeTmpDir('ocellus-abi-');
    try {
      const context = fakeContext(
        tmp.dir,
        process.platform,
        Arch[process.arch as keyof typeof Arch],
      );
      const release = path.join(
        tmp.dir,
        'resources/app.asar.unpacked/node_modules/better-sqlite3/build/Release',
      );
      expect(() => verifyNativeModules(context)).toThrow(/was not unpacked/);
      fs.mkdirSync(release, { recursive: true });
      // node_modules holds Node's build (tests run on it), exactly the mistake to catch.
      fs.copyFileSync(
        path.join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
        path.join(release, 'better_sqlite3.node'),
      );
      expect(() => verifyNativeModules(context)).toThrow(/built for Node's ABI, not Electron's/);
      // A package for another platform cannot be loaded here to check it.
      const other = process.platform === 'win32' ? 'linux' : 'win32';
      expect(verifyNativeModules(fakeContext(tmp.dir, other))).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });
});
