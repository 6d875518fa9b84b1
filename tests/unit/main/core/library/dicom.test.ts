import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeDicom,
  DicomUnsupportedError,
  isDicom,
  readDicomFacts,
} from '../../../../../src/main/core/library/dicom';
import { dicomBytes, PYDICOM_DIR, SYNTAX, transcode } from '../../../../helpers/dicom-fixtures';

const fixture = (name: string): Buffer => fs.readFileSync(path.join(PYDICOM_DIR, name));

/** A 32×24 gradient with a distinct colour per quadrant, as interleaved RGB. */
function quadrants(width = 32, height = 24): Uint8Array {
  const px = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      px[i] = x < width / 2 ? 200 : 30;
      px[i + 1] = y < height / 2 ? 180 : 60;
      px[i + 2] = (x * 7 + y * 3) % 256;
    }
  }
  return px;
}

describe('pydicom test files across transfer syntaxes', () => {
  // MR_small is one 64×64 MR slice saved in several syntaxes: all must give the same pixels.
  const mrSyntaxes = [
    'MR_small.dcm',
    'MR_small_implicit.dcm',
    'MR_small_bigendian.dcm',
    'MR_small_RLE.dcm',
    'MR_small_jp2klossless.dcm',
    'MR_small_jpeg_ls_lossless.dcm',
  ];
  it.each(mrSyntaxes)('%s decodes to the same pixels as the uncompressed file', async (name) => {
    const reference = await decodeDicom(fixture('MR_small.dcm'));
    const decoded = await decodeDicom(fixture(name));
    expect([decoded.width, decoded.height]).toEqual([64, 64]);
    expect(decoded.rgba.equals(reference.rgba)).toBe(true);
  });

  it.each([
    ['JPGExtended.dcm', '1.2.840.10008.1.2.4.51', 256, 1024],
    ['JPEG2000.dcm', '1.2.840.10008.1.2.4.91', 256, 1024],
    ['SC_rgb_jpeg_dcmtk.dcm', '1.2.840.10008.1.2.4.50', 100, 100],
    ['image_dfl.dcm', '1.2.840.10008.1.2.1.99', 512, 512],
    ['CT_small.dcm', '1.2.840.10008.1.2.1', 128, 128],
  ])('%s (%s) decodes to a %i×%i image with contrast', async (name, syntax, w, h) => {
    const bytes = fixture(name);
    expect(isDicom(bytes)).toBe(true);
    expect(readDicomFacts(bytes)).toMatchObject({ width: w, height: h, transferSyntax: syntax });
    const { rgba, width, height } = await decodeDicom(bytes);
    expect([width, height]).toEqual([w, h]);
    let [low, high] = [255, 0];
    for (let i = 0; i < width * height; i++) {
      low = Math.min(low, rgba[i * 4]!);
      high = Math.max(high, rgba[i * 4]!);
    }
    expect(high - low).toBeGreaterThan(100);
  });

  it('reads the frames of a multi-frame file', async () => {
    const bytes = fixture('SC_rgb_rle_2frame.dcm');
    expect(readDicomFacts(bytes).frames).toBe(2);
    const [first, second] = [await decodeDicom(bytes, 0), await decodeDicom(bytes, 1)];
    expect(first.rgba.equals(second.rgba)).toBe(false);
  });

  it('uses the 1st–99th percentile window when the file has none (CT_small)', async () => {
    // CT_small has no VOI window: min–max would leave most of the body mid-grey.
    const { rgba, width, height } = await decodeDicom(fixture('CT_small.dcm'));
    const grey = Array.from({ length: width * height }, (_, i) => rgba[i * 4] ?? 0);
    const black = grey.filter((v) => v === 0).length / grey.length;
    const white = grey.filter((v) => v === 255).length / grey.length;
    // About 1 % clipped at each end, by construction of the window.
    expect(black).toBeGreaterThan(0.005);
    expect(white).toBeGreaterThan(0.005);
    expect(white).toBeLessThan(0.05);
  });

  it('refuses an RT plan (no pixel data) as unsupported, with the reason', () => {
    expect(() => readDicomFacts(fixture('rtplan.dcm'))).toThrow(DicomUnsupportedError);
    expect(() => readDicomFacts(fixture('rtplan.dcm'))).toThrow(/RTPLAN object without pixel data/);
  });
});

describe('DICOMs written from known pixels', () => {
  const size = { width: 32, height: 24, channels: 3 as const };
  const identity = { PatientID: 'P-007', Laterality: 'R', StudyDate: '20240131' };

  it('reads back the exact RGB pixels and the metadata keys', async () => {
    const px = quadrants();
    const bytes = Buffer.from(dicomBytes(px, size, { ...identity, Manufacturer: 'Topcon' }));
    const facts = readDicomFacts(bytes);
    expect(facts.meta).toMatchObject({ ...identity, Manufacturer: 'Topcon', Modality: 'OP' });
    const { rgba } = await decodeDicom(bytes);
    const rgb = Buffer.alloc(px.length);
    for (let i = 0; i < size.width * size.height; i++) rgba.copy(rgb, i * 3, i * 4, i * 4 + 3);
    expect(rgb.equals(Buffer.from(px))).toBe(true);
  });

  it.each([SYNTAX.rle, SYNTAX.jpegLossless, SYNTAX.jpegLs, SYNTAX.j2kLossless, SYNTAX.implicitLE])(
    'lossless syntax %s keeps the pixels exactly',
    async (syntax) => {
      const plain = dicomBytes(quadrants(), size, identity);
      const bytes = Buffer.from(await transcode(plain, syntax));
      expect(readDicomFacts(bytes).transferSyntax).toBe(syntax);
      const reference = await decodeDicom(Buffer.from(plain));
      expect((await decodeDicom(bytes)).rgba.equals(reference.rgba)).toBe(true);
    },
  );

  it('JPEG baseline stays close to the original pixels', async () => {
    const plain = dicomBytes(quadrants(), size, identity);
    const bytes = Buffer.from(await transcode(plain, SYNTAX.jpegBaseline));
    const reference = (await decodeDicom(Buffer.from(plain))).rgba;
    const decoded = (await decodeDicom(bytes)).rgba;
    let error = 0;
    for (let i = 0; i < reference.length; i++) error += Math.abs(reference[i]! - decoded[i]!);
    expect(error / reference.length).toBeLessThan(12);
  });

  it('calls a cut file truncated, never zero-filled pixels, and takes every whole test file', () => {
    for (const name of fs.readdirSync(PYDICOM_DIR).filter((n) => n.endsWith('.dcm'))) {
      if (name === 'rtplan.dcm') continue;
      expect(() => readDicomFacts(fixture(name)), name).not.toThrow();
    }
    const cut = (name: string, keep: number) => {
      const bytes = fixture(name);
      return bytes.subarray(0, bytes.length - keep);
    };
    // Native pixels, explicit and implicit VR; JPEG; RLE.
    expect(() => readDicomFacts(cut('MR_small.dcm', 3000))).toThrow(
      /holds \d+ of the 8192 bytes of pixel data \(truncated\)/,
    );
    expect(() => readDicomFacts(cut('MR_small_implicit.dcm', 100))).toThrow(/truncated/);
    expect(() => readDicomFacts(cut('SC_rgb_jpeg_dcmtk.dcm', 500))).toThrow(
      /compressed pixel data stops before its end/,
    );
    expect(() => readDicomFacts(cut('MR_small_RLE.dcm', 700))).toThrow(/truncated/);
  });

  it('counts the frames the pixel data holds against those the header claims', () => {
    const two = Buffer.from(
      dicomBytes([new Uint8Array(16 * 8), new Uint8Array(16 * 8)], {
        width: 16,
        height: 8,
        channels: 1,
      }),
    );
    expect(readDicomFacts(two).frames).toBe(2);
    // The same file with one frame's bytes gone and the header unchanged.
    const at = two.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f]));
    const shorter = Buffer.concat([two.subarray(0, two.length - 128)]);
    shorter.writeUInt32LE(128, at + 8);
    expect(() => readDicomFacts(shorter)).toThrow(/holds 1 of the 2 frames the header counts/);
  });

  it('is not fooled by an icon image, two-sample YBR 4:2:2 pixels, or implicit VR', async () => {
    const icon = {
      Rows: 8,
      Columns: 8,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 0,
      PixelData: new Uint8Array(64).buffer,
      _vrMap: { PixelData: 'OB' },
    };
    const withIcon = Buffer.from(
      dicomBytes(
        new Uint8Array(64 * 64),
        { width: 64, height: 64, channels: 1 },
        { IconImageSequence: [icon] },
      ),
    );
    expect(readDicomFacts(withIcon).width).toBe(64);
    const implicit = Buffer.from(
      await transcode(
        withIcon.buffer.slice(withIcon.byteOffset, withIcon.byteOffset + withIcon.length),
        SYNTAX.implicitLE,
      ),
    );
    expect(readDicomFacts(implicit).width).toBe(64);
    expect(() => readDicomFacts(implicit.subarray(0, implicit.length - 500))).toThrow(
      /of the 4096 bytes of pixel data \(truncated\)/,
    );
    const ybr = Buffer.from(
      dicomBytes(
        [new Uint8Array(16 * 8 * 2), new Uint8Array(16 * 8 * 2)],
        { width: 16, height: 8, channels: 3 },
        { PhotometricInterpretation: 'YBR_FULL_422' },
      ),
    );
    expect(readDicomFacts(ybr).frames).toBe(2);
  });

  it('knows a file that is not DICOM', () => {
    expect(isDicom(Buffer.alloc(200))).toBe(false);
  });
});
