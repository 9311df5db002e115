// ESLint: typescript-eslint's strict type-checked rules where they do not fight the code, a 400-line budget per
// source file, and import restrictions that encode the layer table of DESIGN.md (a wrong import fails `npm test`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/** Folders under src/ and the src/ folders each may import (besides itself and the leaf modules). */
const layers = {
  gpu: [],
  kernels: ['gpu'],
  reference: [],
  graph: ['kernels', 'gpu', 'reference'],
  model: ['graph'],
  runtime: ['model', 'graph', 'kernels', 'gpu'],
  tune: ['runtime', 'model', 'graph', 'kernels', 'gpu'],
  data: [],
  train: ['tune', 'runtime', 'model', 'data', 'gpu'],
  ui: [],
  node: ['train', 'tune', 'runtime', 'model', 'data', 'gpu'],
};
const folders = Object.keys(layers);
const layerRules = Object.entries(layers).map(([folder, allowed]) => ({
  files: [`src/${folder}/**/*.{ts,tsx}`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: folders
          .filter((f) => f !== folder && !allowed.includes(f))
          .map((f) => ({
            group: [`**/${f}/*`, `**/${f}`],
            message: `src/${folder} may not import src/${f} (layer table in DESIGN.md).`,
          })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'dist-node/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench/out/**', 'device/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Numbers and booleans in template strings are what error messages and labels are made of.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowArray: true }],
      // Typed tables indexed by known keys make these checks noise here.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests, benchmarks and configs read JSON, page.evaluate results and untyped peers' APIs: `any` there is data
    // under test, checked by the assertions that follow, not a type hole in the product.
    files: ['tests/**/*.ts', 'bench/**/*.ts', '*.config.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  // TF.js's ops return the base Tensor type; the peers name the rank they know the result has.
  { files: ['bench/peers/*.ts'], rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' } },
  { files: ['src/**/*.{ts,tsx}'], rules: { 'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }] } },
  { files: ['src/ui/**/*.tsx'], plugins: { 'react-hooks': reactHooks }, rules: reactHooks.configs.recommended.rules },
  ...layerRules,
  {
    // The UI talks to the engine only through the worker protocol (and the pure parameter counts).
    files: ['src/ui/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/gpu/*',
                '**/kernels/*',
                '**/reference/*',
                '**/graph/*',
                '**/runtime/*',
                '**/tune/*',
                '**/data/*',
                '**/node/*',
                '**/train/*',
                '**/model/*',
                '!**/train/protocol',
                '!**/train/metricsFormat',
                '!**/train/torchScript',
                '!**/model/counts',
                '!**/model/stateDictModel',
              ],
              message:
                'src/ui may import only train/protocol, the pure train/metricsFormat and train/torchScript, and the pure model/counts and model/stateDictModel (layer table in DESIGN.md).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'URL',
          'setTimeout',
          'clearTimeout',
          'fetch',
          'Buffer',
          'AbortController',
          'URLSearchParams',
          'window',
          'document',
          'navigator',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
);
