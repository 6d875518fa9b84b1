import { build } from 'vite';
import { bundleScriptConfig } from '../../vite.bundle.config.mjs';

/** Vitest global setup: builds out/bundle/predict.mjs from the sources, as `npm run build` does. */
export default async function setup(): Promise<void> {
  await build(bundleScriptConfig);
}
