import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  OcellusError,
  deserializeError,
  serializeError,
} from '../../../src/shared/errors';

describe('errors', () => {
  it('round-trips every code through the wire shape', () => {
    for (const code of ERROR_CODES) {
      const wire = JSON.parse(
        JSON.stringify(serializeError(new OcellusError(code, `m-${code}`, { a: 1 }))),
      );
      const back = deserializeError(wire);
      expect(back).toBeInstanceOf(OcellusError);
      expect(back.code).toBe(code);
      expect(back.message).toBe(`m-${code}`);
      expect(back.details).toEqual({ a: 1 });
    }
  });

  it('turns foreign errors into INTERNAL and unknown codes into INTERNAL', () => {
    expect(serializeError(new TypeError('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(serializeError('text')).toEqual({ code: 'INTERNAL', message: 'text' });
    expect(deserializeError({ code: 'NOPE', message: 'x' }).code).toBe('INTERNAL');
    expect(deserializeError(null).code).toBe('INTERNAL');
  });
});
