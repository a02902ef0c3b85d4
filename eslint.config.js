// Flat config: typescript-eslint's recommended type-aware rules over all TypeScript,
// plus layering rules that keep each process's code where it belongs (design §1).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'release/**', 'node_modules/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // libvirt/ knows nothing of the app; hosts/ and consoles/ know nothing of Electron or HTTP.
    files: ['main/libvirt/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../hosts/*', '../consoles/*', '../app/*', '../electron/*', '../serve/*', 'electron', 'ws'] }],
    },
  },
  {
    files: ['main/hosts/**/*.ts', 'main/consoles/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../electron/*', '../serve/*', 'electron', 'ws', 'node:http', 'node:https'] }],
    },
  },
  {
    // The renderer runs sandboxed in a browser: no Node, no main-process code except the shared contract.
    files: ['renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'electron', '../../main/!(app)/**', '../../main/app/!(shared)/**', '../../main/app/*.ts'] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
