import fs from 'node:fs';
import path from 'node:path';
import dcmjs from 'dcmjs';
import { NativeCodecs, Transcoder } from 'dcmjs-codecs';

const { DicomDict, DicomMetaDictionary } = dcmjs.data;

/** The pydicom test files vendored for the tests (see tests/fixtures/dicom/SOURCE.md). */
export const PYDICOM_DIR = path.resolve(__dirname, '../fixtures/dicom');

export const SYNTAX = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  rle: '1.2.840.10008.1.2.5',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegLossless: '1.2.840.10008.1.2.4.70',
  jpegLs: '1.2.840.10008.1.2.4.80',
  j2kLossless: '1.2.840.10008.1.2.4.90',
} as const;

/** What a test DICOM says about its patient and study. */
export interface DicomIdentity {
  PatientID?: string;
  PatientName?: string;
  PatientBirthDate?: string;
  StudyDate?: string;
  StudyInstanceUID?: string;
  SeriesInstanceUID?: string;
  Laterality?: string;
  Modality?: string;
  Manufacturer?: string;
  InstitutionName?: string;
  [keyword: string]: unknown;
}

/**
 * A DICOM Part 10 file (secondary capture, explicit VR little endian) holding the given
 * 8-bit pixels: 3 channels as RGB, 1 as MONOCHROME2; a list of frames makes a multi-frame file.
 */
export function dicomBytes(
  pixels: Uint8Array | readonly Uint8Array[],
  size: { width: number; height: number; channels: 1 | 3 },
  identity: DicomIdentity = {},
): ArrayBuffer {
  // Several frames: a multi-frame image, the frames one after the other in PixelData.
  const frames: readonly Uint8Array[] = pixels instanceof Uint8Array ? [pixels] : pixels;
  const data = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((at, f) => (data.set(f, at), at + f.length), 0);
  const sopInstance = DicomMetaDictionary.uid();
  const sopClass = '1.2.840.10008.5.1.4.1.1.7'; // Secondary Capture Image Storage
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClass,
    MediaStorageSOPInstanceUID: sopInstance,
    TransferSyntaxUID: SYNTAX.explicitLE,
    ImplementationClassUID: '1.2.826.0.1.3680043.9.7433.1.1',
  });
  const dataset: Record<string, unknown> = {
    SOPClassUID: sopClass,
    SOPInstanceUID: sopInstance,
    StudyInstanceUID: identity.StudyInstanceUID ?? DicomMetaDictionary.uid(),
    SeriesInstanceUID: identity.SeriesInstanceUID ?? DicomMetaDictionary.uid(),
    Modality: 'OP',
    Rows: size.height,
    Columns: size.width,
    SamplesPerPixel: size.channels,
    PhotometricInterpretation: size.channels === 3 ? 'RGB' : 'MONOCHROME2',
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    ...(size.channels === 3 ? { PlanarConfiguration: 0 } : {}),
    ...(frames.length > 1 ? { NumberOfFrames: String(frames.length) } : {}),
    ...identity,
    PixelData: data.buffer,
    _vrMap: { PixelData: 'OB' },
  };
  const dict = new DicomDict(meta);
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return dict.write();
}

let codecs: Promise<void> | null = null;

/** The file re-encoded in another transfer syntax by the reference codecs (dcmjs-codecs). */
export async function transcode(bytes: ArrayBuffer, syntax: string): Promise<ArrayBuffer> {
  codecs ??= NativeCodecs.initializeAsync();
  await codecs;
  const transcoder = new Transcoder(bytes);
  transcoder.transcode(syntax);
  return transcoder.getDicomPart10();
}

/** Writes bytes to a file, creating its folder. */
export function writeBytes(file: string, bytes: ArrayBuffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.from(bytes));
  return file;
}
