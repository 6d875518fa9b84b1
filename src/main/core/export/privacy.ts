import fs from 'node:fs';
import path from 'node:path';
import type { PrivacyOptions } from '../../../shared/types';
import { isDicom } from '../library/dicom';
import { singleFrameDicom } from '../library/dicom-frame';
import { MAX_IMAGE_BYTES } from '../library/probe';
import { readFileSafe } from '../util/safe-fs';
import { Deidentifier, type DeidentifiedFile } from './deidentify';
import { stripMetadata } from './strip-metadata';
import { writeNewFile } from '../util/fs-atomic';

/** One exported file in the privacy log. */
export interface PrivacyLogEntry {
  /** Where it went, relative to the export folder. */
  file: string;
  /** Where it came from (absent when names are pseudonymised: the path may identify). */
  source?: string;
  /** The frame of a multi-frame source this file holds (0-based). */
  frame?: number;
  dicom?: DeidentifiedFile;
  metadata?: 'lossless' | 're-encoded' | 'kept';
  warning?: string;
}

/** The log's file name inside the export folder. */
export const PRIVACY_LOG = 'privacy-log.json';

/**
 * Writes the files of one export under the chosen privacy options and keeps their log:
 * DICOM de-identified (one Deidentifier, so mappings hold across the export), other images
 * stripped of metadata, names pseudonymised. Originals are read through the safe reader.
 */
export class PrivacyWriter {
  private readonly deidentifier: Deidentifier;
  private readonly entries: PrivacyLogEntry[] = [];
  private count = 0;

  constructor(readonly options: PrivacyOptions) {
    this.deidentifier = new Deidentifier(options.dates ?? 'shift');
  }

  /** The file name an original gets in the export. */
  targetName(source: string): string {
    if (!this.options.pseudonymiseNames) return path.basename(source);
    this.count++;
    const ext = path.extname(source).toLowerCase();
    return `image-${String(this.count).padStart(6, '0')}${ext}`;
  }

  /**
   * Writes the private copy of `source` (or of one frame of it, as a file of its own) to
   * `target`, which must not exist yet, and logs what was done. `source` is read only when
   * the safe reader accepts it as a regular file inside `root` (its image root): a link out
   * of the root, a FIFO or a device is refused with the reader's error, and nothing is logged.
   */
  async write(
    source: string,
    root: string,
    target: string,
    outDir: string,
    frame?: number,
  ): Promise<void> {
    let bytes = await readFileSafe(source, { roots: [root], maxBytes: MAX_IMAGE_BYTES });
    if (frame !== undefined) bytes = await singleFrameDicom(bytes, frame);
    const entry: PrivacyLogEntry = {
      file: path.relative(outDir, target).split(path.sep).join('/'),
    };
    if (!this.options.pseudonymiseNames) entry.source = source;
    if (frame !== undefined) entry.frame = frame;
    let out = bytes;
    if (isDicom(bytes)) {
      if (this.options.deidentify) {
        const d = this.deidentifier.deidentify(bytes);
        out = d.bytes;
        entry.dicom = d.record;
        if (d.record.burnedInWarning) entry.warning = d.record.burnedInWarning;
      } else entry.warning = 'DICOM copied as it is, with its identifying attributes';
    } else if (this.options.stripMetadata) {
      const s = await stripMetadata(bytes);
      out = s.bytes;
      entry.metadata = s.method;
    } else entry.metadata = 'kept';
    await fs.promises.writeFile(target, out, { flag: 'wx' });
    this.entries.push(entry);
  }

  /** How many files carry a warning (burned-in text, DICOM not de-identified). */
  warnings(): number {
    return this.entries.filter((e) => e.warning).length;
  }

  /** Writes the log beside the exported files. */
  writeLog(outDir: string): string {
    const file = path.join(outDir, PRIVACY_LOG);
    const log = {
      profile: this.options.deidentify
        ? 'DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile' +
          ((this.options.dates ?? 'shift') === 'shift'
            ? ', Retain Longitudinal Temporal Information with Modified Dates Option'
            : ', dates and times removed')
        : null,
      options: this.options,
      notes: [
        'Private attributes and attributes unknown to the DICOM dictionary are removed.',
        'UIDs are replaced by 2.25 UIDs, consistently within this export only.',
        'The mappings (pseudonyms, UIDs, date offsets) are not kept anywhere.',
        'Burned-in text in the pixels is not removed: check the files with a warning.',
      ],
      files: this.entries,
    };
    writeNewFile(file, `${JSON.stringify(log, null, 2)}\n`);
    return file;
  }
}
