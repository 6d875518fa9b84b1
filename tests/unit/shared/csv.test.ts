import { describe, expect, it } from 'vitest';
import {
  csvCell,
  csvLine,
  decodeLabelList,
  encodeLabelList,
  neutraliseFormula,
  parseCsvRecords,
  restoreFormula,
} from '../../../src/shared/csv';

describe('CSV cells', () => {
  it('neutralises every text cell a spreadsheet would run as a formula (OWASP)', () => {
    for (const text of ['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("x")']) {
      expect(neutraliseFormula(text), JSON.stringify(text)).toBe(`'${text}`);
    }
    for (const text of ['plain', 'a=b', '2024-05-01', ' lead', "it's", '']) {
      expect(neutraliseFormula(text), text).toBe(text);
    }
  });

  it('leaves numbers, and text that is a plain number, as they are', () => {
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(-0.0001)).toBe('-0.0001');
    for (const text of ['-12.5', '+3', '-1e-5', '.5', '-7']) expect(csvCell(text)).toBe(text);
    expect(csvLine([-1, '-1', '-x', null, true])).toBe("-1,-1,'-x,,true\n");
  });

  it('round-trips through the reader: restoring exactly what was written, quotes included', () => {
    const texts = ['=1+1', "'=already quoted", "''=twice", "'plain", '-x', 'a,b', '"q"', '\tx'];
    const line = csvLine(texts);
    const [record] = parseCsvRecords(line);
    expect(record?.fields.map(restoreFormula)).toEqual(texts);
  });

  it('records which fields were quoted, BOM and CRLF included', () => {
    const records = parseCsvRecords('\uFEFFa,"b;c",""\r\n,,\r\n"x""y",z');
    expect(records).toEqual([
      { fields: ['a', 'b;c', ''], quoted: [false, true, true] },
      { fields: ['x"y', 'z'], quoted: [true, false] },
    ]);
    expect(() => parseCsvRecords('a,"open')).toThrow(/inside a quoted field/);
  });
});

describe('label lists', () => {
  const roundTrip = (names: string[]): string[] => {
    const [record] = parseCsvRecords(csvLine(['p.jpg', encodeLabelList(names)]));
    return decodeLabelList(record?.fields[1] ?? '', record?.quoted[1] ?? false);
  };

  it('splits an unquoted cell on ; but keeps a quoted one whole', () => {
    expect(decodeLabelList('cat;dog', false)).toEqual(['cat', 'dog']);
    expect(decodeLabelList('Canis lupus; juvenile', true)).toEqual(['Canis lupus; juvenile']);
    expect(decodeLabelList('"a;b";c', true)).toEqual(['a;b', 'c']);
    expect(decodeLabelList("'=x;y", false)).toEqual(['=x', 'y']);
  });

  it('writes any names so that they read back the same', () => {
    for (const names of [
      ['cat'],
      ['cat', 'dog'],
      ['a;b'],
      ['a;b', 'c'],
      ['a,b', 'c'],
      ['a,b'],
      ['say "hi"'],
      ['"quoted"', 'x'],
      ['=cmd', '@x'],
      ['-1', 'x'],
    ]) {
      expect(roundTrip(names), JSON.stringify(names)).toEqual(names);
    }
    expect(encodeLabelList(['cat', 'dog'])).toBe('cat;dog');
  });
});
