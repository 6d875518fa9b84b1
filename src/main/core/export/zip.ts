import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { OcellusError } from '../../../shared/errors';
import { NewFile } from '../util/fs-atomic';
import { UNFINISHED_MARKER } from './out-dir';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * Every entry is dated 1 January 1980, 00:00, the earliest DOS date, so a bundle zips the same
 * bytes each time (a zero date, month 0 day 0, showed as "1980-00-00" and is not a date).
 */
const DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1;

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// The folder holds what the export just wrote: a link (to a file anywhere, which the zip
// would carry away), a FIFO or a device found there was put by someone else, so the zip is
// refused rather than read through it.
function files(dir: string, prefix = ''): { name: string; file: string }[] {
  return (
    fs
      .readdirSync(dir, { withFileTypes: true })
      // The folder's own "still being written" marker is not part of what it holds.
      .filter((e) => prefix !== '' || e.name !== UNFINISHED_MARKER)
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((e) => {
        const file = path.join(dir, e.name);
        if (e.isDirectory()) return files(file, `${prefix}${e.name}/`);
        if (!e.isFile())
          throw new OcellusError(
            'UNSUPPORTED',
            `${file} is not a regular file written by this export; the zip is not written`,
            { path: file },
          );
        return [{ name: `${prefix}${e.name}`, file }];
      })
  );
}

/**
 * Zips a folder (deflate, no ZIP64: a bundle stays far below 4 GB) with entries under
 * `<root>/`, so it unpacks into one folder. An existing `zipFile` is refused, never replaced.
 */
export function zipFolder(dir: string, zipFile: string, root = path.basename(dir)): number {
  const entries = files(dir);
  const out = new NewFile(zipFile);
  const central: Buffer[] = [];
  let offset = 0;
  try {
    for (const { name, file } of entries) {
      const data = fs.readFileSync(file);
      const packed = zlib.deflateRawSync(data, { level: 6 });
      const nameBuf = Buffer.from(`${root}/${name}`, 'utf8');
      const crc = crc32(data);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(8, 8); // deflate
      local.writeUInt16LE(0, 10); // time 00:00
      local.writeUInt16LE(DOS_DATE_1980, 12);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(packed.length, 18);
      local.writeUInt32LE(data.length, 22);
      local.writeUInt16LE(nameBuf.length, 26);
      out.write(local);
      out.write(nameBuf);
      out.write(packed);
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(20, 4);
      cd.writeUInt16LE(20, 6);
      cd.writeUInt16LE(0x0800, 8);
      cd.writeUInt16LE(8, 10);
      cd.writeUInt16LE(DOS_DATE_1980, 14);
      cd.writeUInt32LE(crc, 16);
      cd.writeUInt32LE(packed.length, 20);
      cd.writeUInt32LE(data.length, 24);
      cd.writeUInt16LE(nameBuf.length, 28);
      cd.writeUInt32LE(offset, 42);
      central.push(cd, nameBuf);
      offset += local.length + nameBuf.length + packed.length;
    }
    const cdBuf = Buffer.concat(central);
    out.write(cdBuf);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cdBuf.length, 12);
    end.writeUInt32LE(offset, 16);
    out.write(end);
    offset += cdBuf.length + end.length;
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
  return offset;
}
