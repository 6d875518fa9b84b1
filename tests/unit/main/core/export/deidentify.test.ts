import fs from 'node:fs';
import path from 'node:path';
import dcmjs from 'dcmjs';
import { describe, expect, it } from 'vitest';
import { decodeDicom } from '../../../../../src/main/core/library/dicom';
import { Deidentifier, shiftDate } from '../../../../../src/main/core/export/deidentify';
import { BASIC_PROFILE } from '../../../../../src/main/core/export/deidentify-profile';
import { dicomBytes, PYDICOM_DIR } from '../../../../helpers/dicom-fixtures';

const { DicomDict, DicomMessage, DicomMetaDictionary } = dcmjs.data;

function read(bytes: Buffer): { meta: Record<string, unknown>; data: Record<string, unknown> } {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const file = DicomMessage.readFile(ab as ArrayBuffer);
  return {
    meta: DicomMetaDictionary.naturalizeDataset(file.meta),
    data: DicomMetaDictionary.naturalizeDataset(file.dict),
  };
}

const STUDY = '1.2.826.0.1.3680043.8.498.111';
const SERIES = '1.2.826.0.1.3680043.8.498.222';

/** A fundus DICOM full of identifying attributes, a private tag and a nested sequence. */
function identifiedFile(patient: string, studyDate: string): Buffer {
  const px = new Uint8Array(8 * 6 * 3).map((_, i) => (i * 37) % 256);
  const plain = dicomBytes(
    px,
    { width: 8, height: 6, channels: 3 },
    {
      PatientID: patient,
      PatientName: `Doe^${patient}`,
      PatientBirthDate: '19600101',
      PatientSex: 'F',
      PatientAge: '064Y',
      PatientAddress: '1 Main Street',
      OtherPatientNames: 'Roe^Jane',
      InstitutionName: 'St Elsewhere Eye Clinic',
      ReferringPhysicianName: 'House^Gregory',
      OperatorsName: 'Tech^Tom',
      AccessionNumber: 'ACC123',
      StudyID: 'S1',
      StudyDescription: 'Diabetic screening, left clinic',
      DeviceSerialNumber: 'SN-998877',
      StudyDate: studyDate,
      StudyTime: '101500',
      StudyInstanceUID: STUDY,
      SeriesInstanceUID: SERIES,
      Laterality: 'L',
      Manufacturer: 'Acme',
      ReferencedImageSequence: [
        { ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.7', ReferencedSOPInstanceUID: SERIES },
      ],
    },
  );
  const file = DicomMessage.readFile(plain);
  (file.dict as Record<string, unknown>)['00091010'] = { vr: 'LO', Value: ['private secret'] };
  const out = new DicomDict(file.meta);
  out.dict = file.dict;
  return Buffer.from(out.write());
}

describe('DICOM de-identification (PS3.15 Annex E Basic Profile)', () => {
  it('knows every keyword of its profile table', () => {
    for (const keyword of Object.keys(BASIC_PROFILE))
      expect(DicomMetaDictionary.nameMap[keyword], keyword).toBeDefined();
  });

  it('handles each identifying attribute as the profile says, and keeps the pixels', async () => {
    const before = identifiedFile('MRN-1', '20240315');
    const { bytes, record } = new Deidentifier('shift').deidentify(before);
    const { meta, data } = read(bytes);
    // Replaced by the pseudonym (D).
    expect(data['PatientID']).toBe('ANON-0001');
    expect(data['PatientName']).toEqual([{ Alphabetic: 'ANON-0001' }]);
    // Emptied (Z): type 2 attributes keep their place.
    for (const k of [
      'PatientBirthDate',
      'PatientSex',
      'ReferringPhysicianName',
      'AccessionNumber',
      'StudyID',
    ])
      expect(data[k] ?? '', k).toEqual(
        expect.toSatisfy((v) => v === '' || (Array.isArray(v) && v.length === 0)),
      );
    // Removed (X).
    for (const k of [
      'PatientAge',
      'PatientAddress',
      'OtherPatientNames',
      'InstitutionName',
      'OperatorsName',
      'StudyDescription',
      'DeviceSerialNumber',
    ])
      expect(data[k], k).toBeUndefined();
    // Private attributes removed.
    expect(JSON.stringify(data)).not.toContain('private secret');
    expect(record.privateRemoved).toBe(1);
    // UIDs replaced (U), also inside sequences; standard SOP class UIDs kept.
    expect(data['StudyInstanceUID']).toMatch(/^2\.25\.\d+$/);
    expect(data['StudyInstanceUID']).not.toBe(STUDY);
    expect(data['SOPInstanceUID']).toBe(meta['MediaStorageSOPInstanceUID']);
    const ref = (data['ReferencedImageSequence'] as Record<string, unknown>[])[0];
    expect(ref?.['ReferencedSOPInstanceUID']).toBe(data['SeriesInstanceUID']);
    expect(ref?.['ReferencedSOPClassUID']).toBe('1.2.840.10008.5.1.4.1.1.7');
    // Dates shifted back 30 days to 10 years; kept: the eye, device maker, modality.
    const shifted = Date.parse(
      String(data['StudyDate']).replace(/(\d{4})(\d\d)(\d\d)/, '$1-$2-$3'),
    );
    const days = (Date.parse('2024-03-15') - shifted) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(30);
    expect(days).toBeLessThanOrEqual(3650);
    expect(data).toMatchObject({ Laterality: 'L', Manufacturer: 'Acme', Modality: 'OP' });
    // Marked as de-identified, with the method.
    expect(data).toMatchObject({
      PatientIdentityRemoved: 'YES',
      LongitudinalTemporalInformationModified: 'MODIFIED',
    });
    expect(String(data['DeidentificationMethod'])).toMatch(/PS3\.15 E Basic Profile/);
    expect(record.burnedInWarning).toMatch(/OP images often carry burned-in text/);
    expect((await decodeDicom(bytes)).rgba.equals((await decodeDicom(before)).rgba)).toBe(true);
    // Nothing identifying anywhere in the bytes.
    const text = bytes.toString('latin1');
    for (const secret of [
      'MRN-1',
      'Doe^',
      'Main Street',
      'Elsewhere',
      'House^',
      'SN-998877',
      STUDY,
      '20240315',
    ])
      expect(text, secret).not.toContain(secret);
  });

  it('maps one patient, study and date offset the same way in every file of an export', () => {
    const deid = new Deidentifier('shift');
    const a = read(deid.deidentify(identifiedFile('MRN-1', '20240315')).bytes).data;
    const b = read(deid.deidentify(identifiedFile('MRN-1', '20240320')).bytes).data;
    const c = read(deid.deidentify(identifiedFile('MRN-2', '20240315')).bytes).data;
    expect(b['PatientID']).toBe(a['PatientID']);
    expect(b['StudyInstanceUID']).toBe(a['StudyInstanceUID']);
    expect(b['SOPInstanceUID']).not.toBe(a['SOPInstanceUID']);
    // Five days apart before, five days apart after.
    expect(Number(shiftDate(String(a['StudyDate']), 5))).toBe(Number(b['StudyDate']));
    expect(c['PatientID']).toBe('ANON-0002');
    // Another export maps the same study to another UID: nothing links the two.
    const other = read(
      new Deidentifier('shift').deidentify(identifiedFile('MRN-1', '20240315')).bytes,
    );
    expect(other.data['StudyInstanceUID']).not.toBe(a['StudyInstanceUID']);
  });

  it('removes dates and times when asked to', () => {
    const { bytes } = new Deidentifier('remove').deidentify(identifiedFile('MRN-1', '20240315'));
    const { data } = read(bytes);
    for (const k of ['StudyDate', 'StudyTime', 'ContentDate'])
      expect(data[k] ?? '', k).toEqual(
        expect.toSatisfy((v) => v === '' || (Array.isArray(v) && v.length === 0)),
      );
    expect(data['LongitudinalTemporalInformationModified']).toBe('REMOVED');
  });

  it('de-identifies a real MR file and keeps it decodable', async () => {
    const before = fs.readFileSync(path.join(PYDICOM_DIR, 'MR_small.dcm'));
    const { bytes, record } = new Deidentifier().deidentify(before);
    expect(read(bytes).data['PatientName']).toEqual([{ Alphabetic: 'ANON-0001' }]);
    expect(record.uids).toBeGreaterThanOrEqual(3);
    expect((await decodeDicom(bytes)).rgba.equals((await decodeDicom(before)).rgba)).toBe(true);
  });
});
