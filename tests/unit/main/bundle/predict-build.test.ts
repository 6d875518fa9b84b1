import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictScriptFile } from '../../../../src/main/core/export/bundle-predict-script';

const REPO = path.resolve(__dirname, '../../../..');

/** The bundle's predict.mjs as the build makes it from src/main/bundle/predict-main.ts. */
describe('predict.mjs build', () => {
  const file = predictScriptFile();
  const text = fs.readFileSync(file, 'utf8');

  it('is the built file of the project, found from the sources and from the built main bundles', () => {
    expect(file).toBe(path.join(REPO, 'out', 'bundle', 'predict.mjs'));
    expect(predictScriptFile(path.join(REPO, 'out', 'main'))).toBe(file);
    expect(() => predictScriptFile(path.parse(REPO).root)).toThrow(/npm run build/);
  });

  it('imports only Node built-ins: sharp, ONNX Runtime and TF.js come from the bundle folder at run time', () => {
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const specifiers = [...text.matchAll(/^\s*import\b[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    for (const s of specifiers) expect(s).toMatch(/^node:/);
    expect(text).not.toMatch(/\bimport\(/);
  });

  it("carries the app's own pixel steps, normalisation and decision rule", () => {
    for (const name of ['geometryPixels', 'normalise', 'decide', 'collectImageFiles', 'csvCell'])
      expect(text).toMatch(new RegExp(`function ${name}\\(`));
    // Nothing of the app's other packages (SQLite, EXIF) rides along; the DICOM decoders are
    // required from the bundle's node_modules when a DICOM comes, never inlined (the two
    // builds alone weigh 160 KB: the script is far smaller).
    expect(text).not.toMatch(/better-sqlite3|exifr/);
    expect(text).toMatch(/nodeRequire\("dcmjs-imaging"\)/);
    expect(text.length).toBeLessThan(120_000);
  });

  it('says to run npm install, not a stack trace, in a folder whose packages were never installed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-bare-bundle-'));
    try {
      fs.copyFileSync(file, path.join(dir, 'predict.mjs'));
      fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      const env = { ...process.env };
      delete env['NODE_PATH'];
      const run = spawnSync(process.execPath, [path.join(dir, 'predict.mjs'), dir], {
        cwd: dir,
        env,
        encoding: 'utf8',
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`sharp is missing): run npm install in ${dir} first`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      // --help needs no package at all.
      const help = spawnSync(process.execPath, [path.join(dir, 'predict.mjs'), '--help'], { env });
      expect(help.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
