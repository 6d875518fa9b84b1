import { builtinModules } from 'node:module';
import type { InlineConfig, Plugin } from 'vite';

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** The packages a bundle's predict.mjs loads from its own folder, pinned in its package.json. */
export const BUNDLE_RUNTIME_PACKAGES = ['sharp', 'onnxruntime-node', '@tensorflow/', 'dcmjs'];

/**
 * A model bundle's predict.mjs (src/main/bundle/predict-main.ts) as one ESM file,
 * out/bundle/predict.mjs, which the exporter copies into every bundle. Node built-ins stay
 * imports; sharp, ONNX Runtime, TF.js and the DICOM decoders are loaded at run time from the bundle's folder
 * (the entry requires them, so only their types are imported). Nothing the app's modules
 * import for other purposes is kept unless predict.mjs calls it: modules are taken as free
 * of side effects, so an unused import of a heavy package (DICOM codecs) is dropped.
 */
export const bundleScriptConfig: InlineConfig = {
  configFile: false,
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'out/bundle',
    emptyOutDir: true,
    minify: false,
    sourcemap: false,
    reportCompressedSize: false,
    rolldownOptions: {
      input: { predict: 'src/main/bundle/predict-main.ts' },
      external: (id) =>
        builtins.has(id) ||
        id.startsWith('node:') ||
        BUNDLE_RUNTIME_PACKAGES.some((p) => id === p || id.startsWith(p)),
      treeshake: { moduleSideEffects: false },
      output: {
        format: 'es',
        entryFileNames: '[name].mjs',
        banner:
          '#!/usr/bin/env node\n// Usage: node predict.mjs --help. Needs: npm install (in this folder).',
      },
    },
  },
};

/** Builds predict.mjs after the main process's bundles (electron-vite's main build). */
export function bundleScriptPlugin(): Plugin {
  return {
    name: 'ocellus-bundle-predict-script',
    apply: 'build',
    async closeBundle() {
      const { build } = await import('vite');
      await build(bundleScriptConfig);
    },
  };
}

export default bundleScriptConfig;
