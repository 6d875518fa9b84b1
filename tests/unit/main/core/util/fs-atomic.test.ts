import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  openForAppend,
  writeFileAtomic,
  writeNewFile,
  writeNewFileWithSync,
} from '../../../../../src/main/core/util/fs-atomic';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

describe('writing new files', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let victim: string;
  beforeEach(() => {
    tmp = makeTmpDir();
    victim = path.join(tmp.dir, 'victim.txt');
    fs.writeFileSync(victim, 'precious\n');
  });
  afterEach(() => tmp.cleanup());

  it('writes a new file whole and leaves no temporary file', () => {
    const file = path.join(tmp.dir, 'out.txt');
    writeNewFile(file, 'hello\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('hello\n');
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['out.txt', 'victim.txt']);
  });

  it('refuses an existing file, a link and a dangling link at the name, changing nothing', () => {
    const link = path.join(tmp.dir, 'link.txt');
    const dangling = path.join(tmp.dir, 'dangling.txt');
    fs.symlinkSync(victim, link);
    fs.symlinkSync(path.join(tmp.dir, 'nowhere'), dangling);
    for (const file of [victim, link, dangling]) {
      expect(() => writeNewFile(file, 'evil')).toThrow(
        expect.objectContaining({ code: 'ALREADY_EXISTS' }),
      );
    }
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.existsSync(path.join(tmp.dir, 'nowhere'))).toBe(false);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['dangling.txt', 'link.txt', 'victim.txt']);
  });

  it('does not follow a link planted at the temporary name', () => {
    const file = path.join(tmp.dir, 'out.txt');
    fs.symlinkSync(victim, `${file}.partial`);
    expect(() => writeNewFile(file, 'evil')).toThrow(/out\.txt\.partial already exists/);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('does not replace a file that appears while the new one is written', () => {
    const file = path.join(tmp.dir, 'out.txt');
    expect(() =>
      writeNewFileWithSync(file, (out) => {
        out.write('mine');
        fs.writeFileSync(file, 'theirs');
      }),
    ).toThrow(expect.objectContaining({ code: 'ALREADY_EXISTS' }));
    expect(fs.readFileSync(file, 'utf8')).toBe('theirs');
    expect(fs.existsSync(`${file}.partial`)).toBe(false);
  });

  it('removes the temporary file when filling it fails', () => {
    const file = path.join(tmp.dir, 'out.txt');
    expect(() =>
      writeNewFileWithSync(file, () => {
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(fs.readdirSync(tmp.dir)).toEqual(['victim.txt']);
  });

  it('replaces a file by rename in writeFileAtomic, never writing through a link', () => {
    const file = path.join(tmp.dir, 'settings.json');
    fs.symlinkSync(victim, file);
    writeFileAtomic(file, '{}');
    expect(fs.lstatSync(file).isFile()).toBe(true);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('appends only to a regular file of one name, never through a link or into a device', () => {
    const link = path.join(tmp.dir, 'link.jsonl');
    const hard = path.join(tmp.dir, 'hard.jsonl');
    const device = path.join(tmp.dir, 'null.jsonl');
    fs.symlinkSync(victim, link);
    fs.linkSync(victim, hard);
    fs.symlinkSync('/dev/null', device);
    for (const file of [link, hard, device]) {
      expect(() => openForAppend(file)).toThrow(
        expect.objectContaining({ code: 'ALREADY_EXISTS' }),
      );
    }
    const own = path.join(tmp.dir, 'own.jsonl');
    const first = openForAppend(own);
    fs.writeSync(first.fd, 'a\n');
    fs.closeSync(first.fd);
    const again = openForAppend(own);
    fs.writeSync(again.fd, 'b\n');
    fs.closeSync(again.fd);
    expect([first.existed, again.existed]).toEqual([false, true]);
    expect(fs.readFileSync(own, 'utf8')).toBe('a\nb\n');
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
  });
});
