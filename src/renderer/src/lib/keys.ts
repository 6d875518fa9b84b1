/** Inputs that take no characters: a letter or digit pressed on one is a shortcut. */
const CHOICE_INPUTS: ReadonlySet<string> = new Set([
  'checkbox',
  'radio',
  'range',
  'button',
  'submit',
  'reset',
  'color',
]);

/** True when a key press belongs to a text field, where shortcuts must not fire. */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target;
  if (!(t instanceof HTMLElement)) return false;
  // After ticking "Next image after labelling", class keys silently did nothing.
  // After ticking a box, Escape and the arrows did nothing either: only the control's own keys
  // belong to it.
  if (t instanceof HTMLInputElement && CHOICE_INPUTS.has(t.type)) {
    if (e.key === ' ' || e.key === 'Enter') return true;
    return (t.type === 'radio' || t.type === 'range') && /^(Arrow|Page|Home$|End$)/.test(e.key);
  }
  return t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName);
}

/** Keys that only modify others: pressing one is not a key press of its own. */
export const MODIFIERS: ReadonlySet<string> = new Set([
  'Shift',
  'Control',
  'Alt',
  'Meta',
  'AltGraph',
]);

/**
 * True when a key press belongs to an open dialog or the jobs drawer: the view behind must not
 * act on it (a class key there labelled the image under the shortcuts list, and Escape both
 * closed the list and left the image view).
 */
export function inOverlay(e: KeyboardEvent): boolean {
  if (document.querySelector('dialog[open]')) return true;
  const t = e.target;
  // The target, not only an open dialog: another listener of the same key may have closed it.
  return t instanceof Element && t.closest('dialog, [data-overlay]') !== null;
}

/**
 * The class hotkey a key press names (0–9, a–z, or another single character), or null.
 * Digits come from the physical key: Shift+1 types "!" and AZERTY's digit row types "&" or
 * "é" without Shift, and both must still name 1. Letters come from the typed character, so
 * a layout's own letters count. The numeric keypad counts only with Num Lock on (as its End
 * or Home it is a move).
 */
export function hotkeyOf(e: KeyboardEvent): string | null {
  const digit = /^Digit([0-9])$/.exec(e.code);
  if (digit) return digit[1] as string;
  return e.key.length === 1 ? e.key.toLowerCase() : null;
}

/**
 * True when Ctrl, Cmd, Alt/Option or AltGr is held: such a press types a character or is
 * another shortcut, never a class key (Option+0 on a Mac and AltGr+0, "}" on a German
 * layout, cleared the selection's labels once digits were read from the key itself).
 */
export function withModifier(e: KeyboardEvent): boolean {
  return e.ctrlKey || e.metaKey || e.altKey || e.getModifierState?.('AltGraph') === true;
}
