import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'drizzle/**',
      'data/**',
      'bench/.cache/**',
      'bench/results/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // stdout is the JSON-RPC channel: only the logger and the stdout guard may write to the console.
    files: ['src/**/*.ts'],
    ignores: ['src/logger.ts', 'src/stdout-guard.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // The domain never speaks MCP: keep SDK imports at the wiring layer.
    files: [
      'src/audit/**',
      'src/database/**',
      'src/guard/**',
      'src/migrations/**',
      'src/project/**',
      'src/query/**',
      'src/schema-edit/**',
    ],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@modelcontextprotocol/*'] }],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The domain receives what it needs; it never reads process.' },
      ],
    },
  },
);
