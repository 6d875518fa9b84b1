/** Entry of `npm run fetch-models` (built into out/scripts/ by vite.scripts.config.mts). */
import path from 'node:path';
import { fetchModels, parseArgs } from './fetch-models';

// Built as out/scripts/fetch-models.js: the repository root is two folders up.
const resources = path.resolve(__dirname, '..', '..', 'resources');

async function main(): Promise<void> {
  await fetchModels(parseArgs(process.argv.slice(2), resources));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`fetch-models: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
