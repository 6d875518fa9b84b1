import { describe, expect, it } from 'vitest';
import { hotkeyOf, withModifier } from '../../../../src/renderer/src/lib/keys';

/** A key press as a browser reports it: the typed character and the physical key. */
const press = (key: string, code: string): KeyboardEvent => ({ key, code }) as KeyboardEvent;

describe('hotkeyOf', () => {
  it('reads digits from the physical key, whatever Shift or the layout types', () => {
    expect(hotkeyOf(press('1', 'Digit1'))).toBe('1');
    // US layout, Shift+1 and Shift+0.
    expect(hotkeyOf(press('!', 'Digit1'))).toBe('1');
    expect(hotkeyOf(press(')', 'Digit0'))).toBe('0');
    // AZERTY's digit row without Shift.
    expect(hotkeyOf(press('&', 'Digit1'))).toBe('1');
    expect(hotkeyOf(press('é', 'Digit2'))).toBe('2');
  });

  it("reads letters from the typed character, so the layout's own letters count", () => {
    expect(hotkeyOf(press('a', 'KeyA'))).toBe('a');
    expect(hotkeyOf(press('A', 'KeyA'))).toBe('a');
    // AZERTY: the key in QWERTY's Q place types "a".
    expect(hotkeyOf(press('a', 'KeyQ'))).toBe('a');
  });

  it('names no hotkey for named keys, and the keypad only with Num Lock on', () => {
    expect(hotkeyOf(press('Enter', 'Enter'))).toBeNull();
    expect(hotkeyOf(press('ArrowRight', 'ArrowRight'))).toBeNull();
    expect(hotkeyOf(press('End', 'Numpad1'))).toBeNull();
    expect(hotkeyOf(press('1', 'Numpad1'))).toBe('1');
    // A synthetic event without a code falls back on the character.
    expect(hotkeyOf(press('3', ''))).toBe('3');
  });
});

describe('withModifier', () => {
  const with_ = (mods: Partial<KeyboardEvent>, altGraph = false): KeyboardEvent =>
    ({
      key: '0',
      code: 'Digit0',
      ctrlKey: false,
      metaKey: false,
      altKey: false,
      shiftKey: false,
      getModifierState: (k: string) => k === 'AltGraph' && altGraph,
      ...mods,
    }) as KeyboardEvent;

  it('tells a bare or shifted key from one typed with Alt, AltGr, Ctrl or Cmd', () => {
    expect(withModifier(with_({}))).toBe(false);
    expect(withModifier(with_({ shiftKey: true }))).toBe(false);
    // Option+0 on a Mac; AltGr+0 ("}") on a German layout, where altKey is false.
    expect(withModifier(with_({ altKey: true, key: 'º' }))).toBe(true);
    expect(withModifier(with_({ key: '}' }, true))).toBe(true);
    expect(withModifier(with_({ ctrlKey: true }))).toBe(true);
    expect(withModifier(with_({ metaKey: true }))).toBe(true);
  });
});
