import { readFileSync } from 'node:fs';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The renderer's state classes (`*.svelte.ts`, runes): compiled by Svelte, for the browser. */
const STATE_TESTS = 'tests/unit/renderer/state/**/*.test.ts';

export default defineConfig({
  define: { __OCELLUS_VERSION__: JSON.stringify(pkg.version) },
  test: {
    environment: 'node',
    testTimeout: 30_000,
    // Bundles copy the built predict.mjs: built fresh from the sources under test.
    globalSetup: ['tests/helpers/build-predict-script.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], exclude: [STATE_TESTS] },
      },
      {
        extends: true,
        plugins: [svelte({ configFile: './svelte.config.mjs' })],
        test: {
          name: 'renderer-state',
          include: [STATE_TESTS],
          environment: './tests/unit/renderer/state/client-environment.ts',
        },
      },
    ],
  },
});
