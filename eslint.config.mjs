// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import { coreLayerZones } from './eslint.layers.mjs';
import svelteConfig from './svelte.config.mjs';

// Every Node built-in by name (bare `fs` as well as `node:fs`), not by a prefix.
const noNode = 'This layer must not reach Node.';
const nodeBuiltinPaths = builtinModules.map((name) => ({ name, message: noNode }));
const nodeBuiltins = { group: ['node:*'], message: noNode };
const electron = {
  group: ['electron', 'electron/*'],
  message: 'Only the Electron shell may import electron.',
};
const rendererPatterns = [
  nodeBuiltins,
  electron,
  {
    group: ['**/main/**', '**/preload/**'],
    message: 'The renderer talks to main only through the API client.',
  },
];

export default ts.config(
  {
    ignores: [
      'out/',
      'dist/',
      'build/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      'resources/',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        extraFileExtensions: ['.svelte'],
        parser: ts.parser,
        svelteConfig,
      },
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Imports only point down: renderer → shared; shell/cli/web → core → shared.
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltinPaths,
          patterns: [
            nodeBuiltins,
            electron,
            {
              group: ['**/main/**', '**/renderer/**', '**/preload/**'],
              message: 'shared/ depends on nothing.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            electron,
            {
              group: ['**/shell/**', '**/web/**', '**/cli/**', '**/renderer/**'],
              message: 'The core never reaches its hosts.',
            },
          ],
        },
      ],
    },
  },
  {
    // Inside the core, imports point down the layer table; nothing in main forms a cycle.
    files: ['src/main/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: coreLayerZones() }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // No function over ~80 lines in main and shared code; the few longer ones say why beside them.
    files: ['src/main/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { paths: nodeBuiltinPaths, patterns: rendererPatterns }],
    },
  },
  {
    // Only state modules and the client itself may touch the API client.
    files: [
      'src/renderer/**/*.svelte',
      'src/renderer/src/views/**',
      'src/renderer/src/components/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // Flat config replaces a rule's options per block: repeat the renderer's, then add.
          paths: nodeBuiltinPaths,
          patterns: [
            ...rendererPatterns,
            {
              group: ['**/lib/api/**'],
              message: 'Components go through a *.svelte.ts state module.',
            },
          ],
        },
      ],
    },
  },
);
