// @ts-check
/**
 * The rooms of `src/main/core`, lowest first. A room imports only rooms of lower rows;
 * rooms in one row do not import each other. `eslint.config.mjs` builds its layering rule
 * from this table, and docs/ARCHITECTURE.md shows the same table.
 */
export const coreLayers = [
  ['util'], // rng, atomic writes, safe file access, the event bus
  ['app', 'store', 'jobs'], // per-user state; the project file; long-running work
  ['labels'], // labels, classes, history, undo
  ['library'], // roots, scan, watch, EXIF, sequences, thumbnails, model inputs
  ['model'], // the head and its weights
  ['ml'], // backends, engines, base models, embeddings, ONNX conversion
  ['detect'], // detectors, boxes, detection jobs, MegaDetector interchange
  ['train'], // runs, splits, the head and fine-tune trainers
  ['eval', 'assist'], // metrics; suggestions, similar images, heat maps
  ['export'], // bundles, dataset exports, predictions
  ['cluster'], // job scripts for cluster schedulers (SLURM), submitting and following them
  ['service'], // the contract's implementation
];

/** Zones for import-x/no-restricted-paths: each room may not import its row or any row above. */
export function coreLayerZones(coreDir = './src/main/core') {
  const zones = coreLayers.flatMap((row, rank) =>
    row.map((room) => {
      const allowed = coreLayers.slice(0, rank).flat();
      return {
        target: `${coreDir}/${room}`,
        from: coreLayers
          .slice(rank)
          .flat()
          .filter((other) => other !== room)
          .map((other) => `${coreDir}/${other}`),
        message: `core/${room} imports only lower rooms (${allowed.join(', ') || 'none'}); see eslint.layers.mjs.`,
      };
    }),
  );
  // The top room has nothing above it to forbid.
  return zones.filter((zone) => zone.from.length > 0);
}
