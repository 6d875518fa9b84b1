import { describe, expect, it } from 'vitest';
import { isAppUrl } from '../../../../src/main/shell/app-url';

describe('isAppUrl', () => {
  it('accepts the app scheme and host only', () => {
    expect(isAppUrl('app://ocellus/index.html')).toBe(true);
    expect(isAppUrl('app://ocellus/media/thumb/3')).toBe(true);
    expect(isAppUrl('app://evil/index.html')).toBe(false);
    expect(isAppUrl('https://ocellus/index.html')).toBe(false);
    expect(isAppUrl('file:///etc/passwd')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });

  it('accepts the dev server only when one is given', () => {
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5173/')).toBe(false);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false);
    expect(isAppUrl('app://other/x', 'app://other')).toBe(false);
  });
});
