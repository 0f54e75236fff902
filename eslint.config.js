import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '**/dist/', 'packages/contract/schema.d.ts', 'test-results/', 'playwright-report/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use a union of string literals, not an enum.' }],
    },
  },
  {
    files: ['packages/confer/src/**/*.ts'],
    ignores: ['packages/confer/src/api/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'openapi-fetch', message: 'Only src/api/ talks REST.' }, { name: '@confer/contract', message: 'Only src/api/ reads the contract types.' }] }],
    },
  },
);
