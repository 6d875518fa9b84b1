/** What sequence grouping needs to know about one image. */
export interface SequenceInput {
  id: number;
  /** Camera serial when known, else the folder; see cameraKey(). */
  cameraKey: string;
  /**
   * Seconds, from the EXIF capture time parsed as naive wall-clock (no time zone), or
   * the file mtime as fallback; null (or any non-finite number) when unknown.
   */
  time: number | null;
}

/**
 * Groups images of the same camera taken within `gapSeconds` of the previous one into
 * one sequence; returns image id → sequence number (1-based, dense, stable: ordered by
 * cameraKey then time then id). Images with time null each form their own sequence.
 */
export function assignSequences(
  images: readonly SequenceInput[],
  gapSeconds: number,
): Map<number, number> {
  if (!(gapSeconds > 0)) throw new RangeError(`gapSeconds must be > 0, got ${gapSeconds}`);
  const n = images.length;

  // Sorting 10^6 objects by string keys is the slow part: rank the (few) distinct
  // keys once, bucket indices by rank, and sort each bucket over typed arrays.
  const keyRank = new Map<string, number>();
  for (const img of images) keyRank.set(img.cameraKey, 0);
  const keys = [...keyRank.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  keys.forEach((k, i) => keyRank.set(k, i));

  const rank = new Int32Array(n);
  // Unknown times sort last within their camera as +Infinity.
  const time = new Float64Array(n);
  const id = new Float64Array(n);
  const bucketStart = new Int32Array(keys.length + 1);
  for (let i = 0; i < n; i++) {
    const img = images[i] as SequenceInput;
    const r = keyRank.get(img.cameraKey) as number;
    rank[i] = r;
    bucketStart[r + 1] = (bucketStart[r + 1] as number) + 1;
    const t = img.time;
    time[i] = t !== null && Number.isFinite(t) ? t : Infinity;
    id[i] = img.id;
  }
  for (let r = 0; r < keys.length; r++) {
    bucketStart[r + 1] = (bucketStart[r + 1] as number) + (bucketStart[r] as number);
  }
  const order = new Uint32Array(n);
  const fill = bucketStart.slice(0, keys.length);
  for (let i = 0; i < n; i++) {
    const r = rank[i] as number;
    const at = fill[r] as number;
    order[at] = i;
    fill[r] = at + 1;
  }
  const byTimeThenId = (a: number, b: number): number => {
    const ta = time[a] as number;
    const tb = time[b] as number;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return (id[a] as number) - (id[b] as number);
  };
  for (let r = 0; r < keys.length; r++) {
    order.subarray(bucketStart[r], bucketStart[r + 1]).sort(byTimeThenId);
  }

  const result = new Map<number, number>();
  let seq = 0;
  let prev = -1;
  for (let j = 0; j < n; j++) {
    const i = order[j] as number;
    const t = time[i] as number;
    const startsNew =
      prev < 0 ||
      t === Infinity ||
      rank[i] !== rank[prev] ||
      // Chained: measured from the previous image, so a long burst stays one event.
      t - (time[prev] as number) > gapSeconds;
    if (startsNew) seq++;
    result.set(id[i] as number, seq);
    prev = i;
  }
  // Cheaper than a has() per image; a duplicate would silently lose an image.
  if (result.size !== n) throw new RangeError('Duplicate image ids in the input');
  return result;
}

const NAIVE_TIME = /^\s*(\d{4})([-:])(\d{2})\2(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*$/;

/** Days from 1970-01-01 to a proleptic Gregorian date, valid for any year. */
function daysFromCivil(year: number, month: number, day: number): number {
  // Howard Hinnant's algorithm; Date.UTC would map years 0–99 to 1900–1999.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parses an EXIF-style 'YYYY-MM-DD HH:MM:SS' (or 'YYYY:MM:DD HH:MM:SS', optional
 * fractional seconds) as naive wall-clock seconds (UTC arithmetic, no time-zone shift);
 * null when malformed.
 */
export function parseNaiveTime(text: string | null): number | null {
  if (text === null) return null;
  // Cameras pad EXIF strings with NULs; blank placeholders like '    :  :  ' fail below.
  const m = NAIVE_TIME.exec(text.replace(/\0+$/, ''));
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[3], m[4], m[5], m[6], m[7]].map(
    Number,
  ) as [number, number, number, number, number, number];
  // '0000:00:00 00:00:00' is what many cameras write when their clock was never set.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const fraction = m[8] === undefined ? 0 : Number(m[8]);
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second + fraction;
}

/** Trims EXIF padding; blank or all-zero serials (unset in firmware) count as absent. */
function cleanSerial(serial: string | null): string | null {
  const s = serial?.replace(/\0/g, '').trim() ?? '';
  return s === '' || /^0+$/.test(s) ? null : s;
}

/**
 * The camera key of an image: `serial:<make>/<model>/<serial>` when a body serial exists,
 * else `folder:<rootId>/<folder of relPath>`.
 */
export function cameraKey(
  rootId: number,
  relPath: string,
  make: string | null,
  model: string | null,
  serial: string | null,
): string {
  const body = cleanSerial(serial);
  if (body !== null) {
    const tidy = (s: string | null): string => s?.replace(/\0/g, '').trim() ?? '';
    return `serial:${tidy(make)}/${tidy(model)}/${body}`;
  }
  const slash = relPath.lastIndexOf('/');
  return `folder:${rootId}/${slash < 0 ? '' : relPath.slice(0, slash)}`;
}
