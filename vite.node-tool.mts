import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { defineConfig, type UserConfig } from 'vite';

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

/**
 * A build of the project's TypeScript tools into `outDir` as CommonJS for plain `node`, so
 * they reuse the core's code. Node built-ins and the app's dependencies stay external, except
 * chokidar (ESM-only), which is bundled as in electron.vite.config.ts.
 */
export function nodeToolConfig(outDir: string, input: Record<string, string>): UserConfig {
  return defineConfig({
    define: { __OCELLUS_VERSION__: JSON.stringify(pkg.version) },
    publicDir: false,
    ssr: { target: 'node', external: externalDeps, noExternal: bundled },
    build: {
      ssr: true,
      target: 'node20',
      outDir,
      emptyOutDir: true,
      minify: false,
      sourcemap: true,
      reportCompressedSize: false,
      rolldownOptions: {
        input,
        external: isExternal,
        output: { format: 'cjs', entryFileNames: '[name].js' },
      },
    },
  });
}
