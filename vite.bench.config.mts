import { nodeToolConfig } from './vite.node-tool.mjs';

/**
 * The benchmarks (bench/*.ts) into out/bench/: `npm run bench:import | bench:embed |
 * bench:label | bench:similar | bench:train | bench:accuracy | bench:predict | bench:shards |
 * bench:detect | bench:crops`. (bench/label.ts loads Playwright, a dev
 * dependency, at run time.)
 */
export default nodeToolConfig('out/bench', {
  import: 'bench/import.ts',
  embed: 'bench/embed.ts',
  label: 'bench/label.ts',
  similar: 'bench/similar.ts',
  train: 'bench/train.ts',
  accuracy: 'bench/accuracy.ts',
  'accuracy-heads': 'bench/accuracy-heads.ts',
  predict: 'bench/predict.ts',
  shards: 'bench/shards.ts',
  detect: 'bench/detect.ts',
  crops: 'bench/crops.ts',
});
