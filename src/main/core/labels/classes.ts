import type Database from 'better-sqlite3';

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

/** Returns the id of the class named `name` (case-insensitive), creating it if needed. */
export function ensureClass(db: Database.Database, name: string): number {
  const existing = db.prepare('SELECT id FROM classes WHERE name = ?').get(name) as
    { id: number } | undefined;
  if (existing) return existing.id;
  const { n, maxOrder } = db
    .prepare('SELECT COUNT(*) AS n, COALESCE(MAX(sort_order), -1) AS maxOrder FROM classes')
    .get() as { n: number; maxOrder: number };
  const used = new Set(
    (
      db.prepare('SELECT hotkey FROM classes WHERE hotkey IS NOT NULL').all() as {
        hotkey: string;
      }[]
    ).map((r) => r.hotkey),
  );
  const hotkey = [...HOTKEYS].find((k) => !used.has(k)) ?? null;
  const info = db
    .prepare(
      'INSERT INTO classes (name, color, hotkey, sort_order, created_at) VALUES (?, ?, ?, ?, ?)',
    )
    .run(
      name,
      CLASS_PALETTE[n % CLASS_PALETTE.length],
      hotkey,
      maxOrder + 1,
      new Date().toISOString(),
    );
  return Number(info.lastInsertRowid);
}
