import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

/**
 * Builds the benchmarks (bench/*.ts) into out/bench/ as CommonJS for plain `node`:
 * `npm run bench:import`, `npm run bench:embed`, `npm run bench:label`, `npm run bench:train`. Node built-ins and
 * the app's dependencies stay external, except chokidar, which is ESM-only and is bundled as
 * in electron.vite.config.ts. (bench/label.ts loads Playwright, a dev dependency, at run time.)
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
    outDir: 'out/bench',
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    reportCompressedSize: false,
    rolldownOptions: {
      input: {
        import: 'bench/import.ts',
        embed: 'bench/embed.ts',
        label: 'bench/label.ts',
        similar: 'bench/similar.ts',
        train: 'bench/train.ts',
      },
      external: isExternal,
      output: { format: 'cjs', entryFileNames: '[name].js' },
    },
  },
});
