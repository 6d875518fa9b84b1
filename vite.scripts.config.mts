import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

/**
 * Builds the project's TypeScript tools (scripts/*-cli.ts) into out/scripts/ as CommonJS for
 * plain `node`, so they reuse the core's code: `npm run fetch-models`. Node built-ins and the
 * app's dependencies stay external, except chokidar (ESM-only), as in electron.vite.config.ts.
 */
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};

const bundled = ['chokidar', 'readdirp'];
const externalDeps = Object.keys(pkg.dependencies).filter((d) => !bundled.includes(d));
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function isExternal(id: string): boolean {
  return (
    builtins.has(id) ||
    id.startsWith('node:') ||
    externalDeps.some((d) => id === d || id.startsWith(`${d}/`))
  );
}

export default defineConfig({
  define: { __OCELLUS_VERSION__: JSON.stringify(pkg.version) },
  publicDir: false,
  ssr: { target: 'node', external: externalDeps, noExternal: bundled },
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'out/scripts',
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    reportCompressedSize: false,
    rolldownOptions: {
      input: { 'fetch-models': 'scripts/fetch-models-cli.ts' },
      external: isExternal,
      output: { format: 'cjs', entryFileNames: '[name].js' },
    },
  },
});
