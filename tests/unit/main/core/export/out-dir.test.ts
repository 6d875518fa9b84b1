import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../../src/main/cli/run-cli';
import {
  ensureOutDir,
  markUnfinished,
  prepareEmptyDir,
  UNFINISHED_MARKER,
} from '../../../../../src/main/core/export/out-dir';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocellus-out-dir-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('an export destination', () => {
  const file = path.join(dir, 'notes.txt');
  fs.writeFileSync(file, 'keep me');

  it('is created with its parents where none is', () => {
    const out = path.join(dir, 'a', 'b');
    ensureOutDir(out);
    expect(fs.statSync(out).isDirectory()).toBe(true);
    ensureOutDir(out);
  });

  it('left by an export that stopped before writing anything can take the export again', () => {
    const out = path.join(dir, 'stopped');
    prepareEmptyDir(out);
    markUnfinished(out);
    expect(fs.readdirSync(out)).toEqual([UNFINISHED_MARKER]);
    prepareEmptyDir(out);
    expect(fs.readdirSync(out)).toEqual([]);
    const done = markUnfinished(out);
    fs.writeFileSync(path.join(out, 'labels.json'), '{}');
    expect(() => prepareEmptyDir(out)).toThrow(/is not empty/);
    done.finish();
    expect(fs.readdirSync(out)).toEqual(['labels.json']);
  });

  it('that names a file, or lies under one, is refused in words and the file kept', () => {
    expect(() => ensureOutDir(file)).toThrow(`${file} is a file, not a folder`);
    expect(() => ensureOutDir(path.join(file, 'x'))).toThrow(/a part of that path is a file/);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('ocellus export-dataset says so rather than a system error', async () => {
    const project = path.join(dir, 'p.ocellus');
    expect(await runCli(['init', project], { stdout: () => {}, stderr: () => {} })).toBe(0);
    for (const out of [file, path.join(file, 'sub')]) {
      let err = '';
      const code = await runCli(['export-dataset', project, '--format', 'csv', '--out', out], {
        stdout: () => {},
        stderr: (s) => (err += s),
      });
      expect(code).not.toBe(0);
      expect(err).toMatch(/is a file, not a folder|a part of that path is a file/);
      expect(err).not.toMatch(/ENOTDIR|EEXIST/);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
  });
});
