import { nodeToolConfig } from './vite.node-tool.mjs';

/**
 * The project's TypeScript tools (scripts/*-cli.ts) into out/scripts/: `npm run fetch-models`,
 * `npm run attack`.
 */
export default nodeToolConfig('out/scripts', {
  'fetch-models': 'scripts/fetch-models-cli.ts',
  attack: 'scripts/attack-cli.ts',
});
