import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipFolder } from '../../../../../src/main/core/export/zip';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

/** The DOS date of a header field: [year, month, day]. */
const dosDate = (v: number) => [1980 + (v >> 9), (v >> 5) & 15, v & 31];

describe('zipFolder', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeAll(() => {
    tmp = makeTmpDir();
  });
  afterAll(() => tmp.cleanup());

  it('writes entries that unpack to the files, dated 1980-01-01 in both headers', () => {
    const dir = path.join(tmp.dir, 'bundle');
    fs.mkdirSync(path.join(dir, 'model'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'labels.json'), '{"classes":["a","b"]}');
    fs.writeFileSync(path.join(dir, 'model', 'w.bin'), Buffer.alloc(5000, 7));
    const zip = path.join(tmp.dir, 'bundle.zip');
    zipFolder(dir, zip);
    const buf = fs.readFileSync(zip);
    // The first local header: its date (it was 0: "1980-00-00") and its data.
    expect(buf.readUInt32LE(0)).toBe(0x04034b50);
    expect(dosDate(buf.readUInt16LE(12))).toEqual([1980, 1, 1]);
    const nameLength = buf.readUInt16LE(26);
    expect(buf.subarray(30, 30 + nameLength).toString()).toBe('bundle/labels.json');
    const packed = buf.readUInt32LE(18);
    const data = zlib.inflateRawSync(buf.subarray(30 + nameLength, 30 + nameLength + packed));
    expect(data.toString()).toBe('{"classes":["a","b"]}');
    // Every central directory entry carries the same date.
    const end = buf.length - 22;
    const count = buf.readUInt16LE(end + 10);
    let at = buf.readUInt32LE(end + 16);
    for (let i = 0; i < count; i++) {
      expect(buf.readUInt32LE(at)).toBe(0x02014b50);
      expect(dosDate(buf.readUInt16LE(at + 14))).toEqual([1980, 1, 1]);
      at += 46 + buf.readUInt16LE(at + 28);
    }
    expect(count).toBe(2);
  });
});
