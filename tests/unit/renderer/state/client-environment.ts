import type { Environment } from 'vitest/environments';

/**
 * Node, but with modules transformed for the browser: Svelte then compiles the state
 * classes' runes to its client runtime (real reactive state), not to its server output.
 */
export default {
  name: 'svelte-client',
  viteEnvironment: 'client',
  setup: () => ({ teardown: () => undefined }),
} satisfies Environment;
