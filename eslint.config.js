// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';
import layers from './layers.cjs';

const { PURE_DECIDERS, EFFECT_PACKAGES, EFFECT_BUILTINS } = layers;

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'reports/**', '.stryker-tmp/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { import: importPlugin },
    settings: {
      // Maps `./x.js` in an import to `x.ts`, so the import rules see the real graph (the node resolver saw none
      // of the project's own imports, and import/no-cycle passed every cycle).
      'import/resolver': { typescript: { project: './tsconfig.json' } },
      // Imported files are TypeScript too: without this the plugin cannot parse them and sees no edges.
      'import/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import/extensions': ['.ts', '.js'],
    },
    rules: {
      'no-console': 'error',
      'import/no-cycle': ['error', { maxDepth: 10 }],
      // ARCHITECTURE.md: the webhook intake never reaches a deploy repo or an SCM host (`npm run lint:deps` checks
      // what is reachable; this names the direct import in the editor).
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/http',
              from: ['./src/git', './src/scm'],
              except: ['./types.ts'],
              message: 'http answers from the request and the queue; it never reaches git or an SCM host.',
            },
            {
              // Of a host folder, http imports only the webhook part (webhook.ts, normalize.ts, hosts/webhook*.ts).
              target: './src/http',
              from: ['./src/hosts/**'],
              except: [
                '**/src/hosts/*/webhook.ts',
                '**/src/hosts/*/normalize.ts',
                '**/src/hosts/webhook*.ts',
              ],
              message:
                'http sees only the webhook part of a host, never its SCM client, hook setup or doctor checks.',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The lint configuration shared with dependency-cruiser is CommonJS, as dependency-cruiser reads it.
    files: ['*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // ARCHITECTURE.md: a pure decider imports no effect.
    files: PURE_DECIDERS,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: EFFECT_BUILTINS.flatMap((name) => [name, `node:${name}`]).map((name) => ({
            name,
            message: 'a pure decider takes data and returns a decision; effects belong to its caller.',
          })),
          patterns: EFFECT_PACKAGES.map((name) => ({
            group: [name, `${name}/*`],
            message: 'a pure decider takes data and returns a decision; effects belong to its caller.',
          })),
        },
      ],
    },
  },
  {
    // Tests and benchmarks report figures on stdout on purpose.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
