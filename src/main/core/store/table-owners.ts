/**
 * Which module owns each table of the project file: the only module whose SQL writes it,
 * and the one others call to read it. `tests/unit/main/core/store/table-owners.test.ts`
 * scans the core's sources and fails when SQL names a table outside its owner, unless the
 * read is listed in FOREIGN_READS; docs/ARCHITECTURE.md shows the same map.
 */
export const TABLE_OWNERS: Readonly<Record<string, string>> = {
  meta: 'store/meta.ts',
  roots: 'library/roots.ts',
  images: 'library/images.ts',
  orphan_labels: 'labels/orphan-labels.ts',
  image_meta: 'library/image-metadata.ts',
  classes: 'labels/class-store.ts',
  labels: 'labels/label-table.ts',
  label_history: 'labels/label-table.ts',
  label_batches: 'labels/label-store.ts',
  embeddings: 'ml/embedder.ts',
  runs: 'train/run-store.ts',
  run_weights: 'train/finetune/finetune-weights.ts',
  predictions: 'assist/prediction-store.ts',
  exports: 'export/export-log.ts',
};

/**
 * Reads that join a table from outside its owner (`module: table`), each a query whose
 * subject is the module's own table or that filters by the other. Writes are never listed.
 */
export const FOREIGN_READS: readonly string[] = [];
