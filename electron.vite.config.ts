import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { bundleScriptPlugin } from './vite.bundle.config.mjs';

const pkg = JSON.parse(readFileSync(resolve(__dirname, 'package.json'), 'utf8')) as {
  version: string;
};
const define = { __OCELLUS_VERSION__: JSON.stringify(pkg.version) };

export default defineConfig({
  main: {
    define,
    // A model bundle's predict.mjs, built from the main process's modules: out/bundle/predict.mjs.
    plugins: [bundleScriptPlugin()],
    build: {
      // chokidar 5 is ESM-only: bundle it rather than require() it from CommonJS.
      externalizeDeps: { exclude: ['chokidar', 'readdirp'] },
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli/index.ts'),
          web: resolve(__dirname, 'src/main/web/main.ts'),
          'embed-worker': resolve(__dirname, 'src/main/core/ml/embed-worker.ts'),
          'head-worker': resolve(__dirname, 'src/main/core/train/head-worker.ts'),
          'detect-worker': resolve(__dirname, 'src/main/core/detect/detect-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    define,
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.mjs') })],
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
  },
});
