/** Argument values that are wrong for nearly every parameter of the API contract. */

/** `depth` arrays, one inside the other. */
export function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Hostile values; callers add paths that need a folder of their own (FIFOs, links). */
export function hostileValues(): unknown[] {
  return [
    null,
    true,
    0,
    -1,
    1.5,
    2 ** 53 + 2,
    -1e308,
    1e308,
    '',
    ' ',
    'x',
    'a\0b',
    '../../../../etc/passwd',
    '/etc/passwd',
    '/dev/zero',
    'relative/path',
    'é'.repeat(100_000),
    [],
    [null],
    [-1, 0, 1.5],
    ['x'],
    Array.from({ length: 50_000 }, (_, i) => i + 1),
    {},
    { __proto__: { polluted: true } },
    JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}'),
    { limit: -1, offset: -5, sort: 'nope', filter: { status: 7, classId: 'x' } },
    { limit: 1e9, offset: 1e15, filter: null },
    { path: '/etc/passwd', name: { x: 1 }, labelMode: 'both' },
    // Relative to nothing the user chose: once created a project in the server's folder.
    { path: 'fuzz-relative-project', name: 'x' },
    { out: '/dev/null', format: 'csv', runId: -3 },
    { baseModel: '../../x', epochs: -1, batchSize: 0, learningRate: 'fast', seed: 1.5 },
    { keepLabels: 'yes', labelsFromFolders: 'no', readOnly: 1 },
    { sequenceGapSeconds: -1, threshold: 7, positiveClass: 3 },
    nest(3000),
  ];
}

/** Argument lists for one method: nothing, each value alone, after a plain one, and twice. */
export function argLists(values: readonly unknown[]): unknown[][] {
  const lists: unknown[][] = [[]];
  for (const h of values) lists.push([h], [1, h], ['x', h], [h, h]);
  return lists;
}
