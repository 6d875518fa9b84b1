import crypto from 'node:crypto';
import dcmjs from '../library/dcmjs-quiet';
import { BASIC_PROFILE, BURNED_IN_MODALITIES, PSEUDONYMISED } from './deidentify-profile';

const { DicomDict, DicomMessage, DicomMetaDictionary } = dcmjs.data;

/** How dates leave: shifted by a per-patient offset (order and intervals kept) or removed. */
export type DateMode = 'shift' | 'remove';

/** What was done to one file, for the export's log; never any original value. */
export interface DeidentifiedFile {
  pseudonym: string;
  removed: string[];
  emptied: string[];
  replaced: string[];
  uids: number;
  dates: number;
  privateRemoved: number;
  unknownRemoved: number;
  /** Why the pixels may still show identifying text, or null. */
  burnedInWarning: string | null;
}

interface RawElement {
  vr: string;
  Value?: unknown[];
  _rawValue?: unknown;
}
type RawDict = Record<string, RawElement>;

// Standard UIDs (SOP classes, transfer syntaxes, coding schemes) identify no one.
const STANDARD_UID = /^1\.2\.840\.10008\./;
const DAY_MS = 86_400_000;

/**
 * DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile, with the Retain
 * Longitudinal Temporal Information with Modified Dates option (or dates removed): one per
 * export, so a patient gets the same pseudonym and date offset, and a UID the same new UID,
 * in every file of it. The mappings live only in memory, under a random secret.
 */
export class Deidentifier {
  private readonly secret = crypto.randomBytes(32);
  private readonly pseudonyms = new Map<string, string>();

  constructor(private readonly dates: DateMode = 'shift') {}

  /** A de-identified copy of a DICOM Part 10 file, and what was done to it. */
  deidentify(bytes: Buffer): { bytes: Buffer; record: DeidentifiedFile } {
    const file = DicomMessage.readFile(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
    const dict = file.dict as RawDict;
    const patientId = text(dict['00100020']) ?? text(dict['00100010']) ?? '';
    const pseudonym = this.pseudonym(patientId);
    const record: DeidentifiedFile = {
      pseudonym,
      removed: [],
      emptied: [],
      replaced: [],
      uids: 0,
      dates: 0,
      privateRemoved: 0,
      unknownRemoved: 0,
      burnedInWarning: burnedIn(dict),
    };
    this.clean(dict, pseudonym, record);
    this.mark(dict);
    const meta = file.meta as RawDict;
    const sop = meta['00020003'];
    if (sop?.Value)
      this.setValue(
        sop,
        sop.Value.map((u) => this.uid(String(u))),
      );
    const out = new DicomDict(meta);
    out.dict = dict;
    return { bytes: Buffer.from(out.write()), record };
  }

  /** ANON-0001, ANON-0002… in the order patients are met; files without an id share one. */
  pseudonym(patientId: string): string {
    let p = this.pseudonyms.get(patientId);
    if (!p) {
      p = `ANON-${String(this.pseudonyms.size + 1).padStart(4, '0')}`;
      this.pseudonyms.set(patientId, p);
    }
    return p;
  }

  private clean(dict: RawDict, pseudonym: string, record: DeidentifiedFile): void {
    for (const tag of Object.keys(dict)) {
      const el = dict[tag] as RawElement;
      if (parseInt(tag.slice(0, 4), 16) % 2 === 1) {
        delete dict[tag];
        record.privateRemoved++;
        continue;
      }
      const keyword = keywordOf(tag);
      if (!keyword) {
        delete dict[tag];
        record.unknownRemoved++;
        continue;
      }
      if ((PSEUDONYMISED as readonly string[]).includes(keyword)) {
        this.setValue(el, [el.vr === 'PN' ? { Alphabetic: pseudonym } : pseudonym]);
        record.replaced.push(keyword);
        continue;
      }
      const action = BASIC_PROFILE[keyword] ?? (el.vr === 'PN' ? 'Z' : undefined);
      if (action === 'X') {
        delete dict[tag];
        record.removed.push(keyword);
      } else if (action === 'Z') {
        this.setValue(el, []);
        record.emptied.push(keyword);
      } else if (action === 'D') {
        this.setValue(el, [el.vr === 'PN' ? { Alphabetic: 'ANONYMOUS' } : 'ANONYMOUS']);
        record.replaced.push(keyword);
      } else this.transform(el, pseudonym, record);
    }
  }

  /** UIDs, dates, times and sequences: the attributes recognised by their VR. */
  private transform(el: RawElement, pseudonym: string, record: DeidentifiedFile): void {
    const values = el.Value ?? [];
    if (el.vr === 'SQ') {
      for (const item of values) this.clean(item as RawDict, pseudonym, record);
    } else if (el.vr === 'UI') {
      const mapped = values.map((v) => (STANDARD_UID.test(String(v)) ? v : this.uid(String(v))));
      record.uids += mapped.filter((v, i) => v !== values[i]).length;
      this.setValue(el, mapped);
    } else if (el.vr === 'DA' || el.vr === 'DT' || el.vr === 'TM') {
      if (values.length === 0) return;
      record.dates += values.length;
      if (this.dates === 'remove') this.setValue(el, []);
      else if (el.vr !== 'TM') {
        const days = this.offsetDays(pseudonym);
        this.setValue(
          el,
          values.map((v) => shiftDate(String(v), days)),
        );
      }
    }
  }

  private mark(dict: RawDict): void {
    dict['00120062'] = { vr: 'CS', Value: ['YES'] };
    dict['00120063'] = {
      vr: 'LO',
      Value: [
        this.dates === 'shift'
          ? 'PS3.15 E Basic Profile, Retain Longitudinal Modified Dates'
          : 'PS3.15 E Basic Profile, dates removed',
      ],
    };
    dict['00280303'] = { vr: 'CS', Value: [this.dates === 'shift' ? 'MODIFIED' : 'REMOVED'] };
  }

  private setValue(el: RawElement, value: unknown[]): void {
    el.Value = value;
    // dcmjs writes a kept raw value as it was read; it must not outlive the change.
    delete el._rawValue;
  }

  /** The same new UID for the same old one within this export: 2.25.<128 secret-keyed bits>. */
  private uid(old: string): string {
    const h = crypto.createHmac('sha256', this.secret).update(old).digest();
    return `2.25.${BigInt(`0x${h.subarray(0, 16).toString('hex')}`).toString()}`;
  }

  /** Between 30 and 3,650 days back, fixed per patient for this export. */
  private offsetDays(pseudonym: string): number {
    const h = crypto.createHmac('sha256', this.secret).update(`date:${pseudonym}`).digest();
    return -(30 + (h.readUInt32BE(0) % 3621));
  }
}

function keywordOf(tag: string): string | null {
  const key = `(${tag.slice(0, 4)},${tag.slice(4)})`.toUpperCase();
  return DicomMetaDictionary.dictionary[key]?.name ?? null;
}

function text(el: RawElement | undefined): string | null {
  const v = el?.Value?.[0];
  if (typeof v === 'string') return v.trim() || null;
  if (v && typeof v === 'object' && 'Alphabetic' in v) {
    const a = (v as { Alphabetic: unknown }).Alphabetic;
    return typeof a === 'string' ? a.trim() || null : null;
  }
  return null;
}

/** YYYYMMDD (or a DT starting so) moved by `days`; anything unparsable is emptied. */
export function shiftDate(value: string, days: number): string {
  const m = /^(\d{4})(\d{2})(\d{2})(.*)$/.exec(value.trim());
  if (!m) return '';
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * DAY_MS;
  if (!Number.isFinite(t)) return '';
  const d = new Date(t);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${m[4] ?? ''}`;
}

function burnedIn(dict: RawDict): string | null {
  const flag = text(dict['00280301'])?.toUpperCase();
  if (flag === 'YES') return 'BurnedInAnnotation is YES: the pixels show identifying text';
  const modality = text(dict['00080060'])?.toUpperCase() ?? '';
  if (flag !== 'NO' && BURNED_IN_MODALITIES.has(modality)) {
    return `${modality} images often carry burned-in text (names, dates): check the pixels`;
  }
  return null;
}
