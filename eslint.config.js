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
    // The desktop shell's logic takes Electron by injection, so Node tests reach all of it: only
    // its two entry points load Electron itself; the rest may use Electron's types. Main code
    // never reaches into the renderer's sources.
    files: ['main/electron/**/*.ts'],
    ignores: ['main/electron/main.ts', 'main/electron/preload.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', allowTypeImports: true, message: 'take Electron APIs by injection; only main.ts and preload.ts import electron' }],
          patterns: ['../serve/*', '../../renderer/**'],
        },
      ],
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
