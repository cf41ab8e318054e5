// One lint config for the workspace. The pure parts (protocol and the engine core) may not do
// I/O, read a clock, draw random numbers, set timers or use floating-point rounding on money.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const pureParts = ['protocol/src/**/*.ts', 'engine/src/core/**/*.ts'];
const tests = ['**/*.test.ts', '**/testing/**'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.svelte-kit/**', '**/build/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: pureParts,
    ignores: tests,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The pure core does no I/O.' },
            { group: ['ioredis', 'pg', 'postgres', 'fs', 'net', 'http', 'https', 'child_process', 'worker_threads', 'os', 'crypto'], message: 'The pure core does no I/O.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Time arrives in the command envelope.' },
        { name: 'setTimeout', message: 'No timers in the core.' },
        { name: 'setInterval', message: 'No timers in the core.' },
        { name: 'setImmediate', message: 'No timers in the core.' },
        { name: 'queueMicrotask', message: 'The core is synchronous.' },
        { name: 'process', message: 'The core does not read its environment.' },
        { name: 'performance', message: 'Time arrives in the command envelope.' },
        { name: 'fetch', message: 'The pure core does no I/O.' },
        { name: 'parseFloat', message: 'Money and odds are integers.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'The core has no randomness.' },
        { object: 'Math', property: 'round', message: 'Name the rounding: divFloor or mulDivFloor.' },
        { object: 'Number', property: 'parseFloat', message: 'Money and odds are integers.' },
        { property: 'toFixed', message: 'Money and odds are integers.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'AwaitExpression', message: 'The core is synchronous.' },
        { selector: 'FunctionDeclaration[async=true], FunctionExpression[async=true], ArrowFunctionExpression[async=true]', message: 'The core is synchronous.' },
      ],
    },
  },
);
