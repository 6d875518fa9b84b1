/** Distinct, colour-blind-friendly colours (Okabe–Ito, then Tol's muted), cycled. */
export const CLASS_PALETTE = [
  '#E69F00',
  '#56B4E9',
  '#009E73',
  '#F0E442',
  '#0072B2',
  '#D55E00',
  '#CC79A7',
  '#88CCEE',
  '#44AA99',
  '#117733',
  '#999933',
  '#AA4499',
];

/** Keys a class can be given, in the order new classes take them. */
export const HOTKEYS = '123456789abcdefghijklmnopqrstuvwxyz';
