import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const PRODUCTION = ['type:util', 'type:domain', 'type:data'];

/**
 * Module boundaries that mean something: apps never import apps; domain and data libs never reach
 * into apps; test harnesses (`type:testing`) are importable from tests, e2e, the bench and the
 * test runner (`scripts/test.ts`) only, never from the code that ships, the load tool or the other
 * scripts.
 */
const boundaries = (allowTesting) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: [...PRODUCTION, ...(allowTesting ? ['type:testing'] : [])] },
      {
        sourceTag: 'type:domain',
        onlyDependOnLibsWithTags: [...PRODUCTION, ...(allowTesting ? ['type:testing'] : [])],
      },
      {
        sourceTag: 'type:data',
        onlyDependOnLibsWithTags: ['type:util', 'type:domain', ...(allowTesting ? ['type:testing'] : [])],
      },
      { sourceTag: 'type:util', onlyDependOnLibsWithTags: [...PRODUCTION, ...(allowTesting ? ['type:testing'] : [])] },
      { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [...PRODUCTION, 'type:testing'] },
      // End-to-end tests and the bench drive the apps as processes; they may use any library, no app.
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: [...PRODUCTION, 'type:testing'] },
      { sourceTag: 'type:bench', onlyDependOnLibsWithTags: [...PRODUCTION, 'type:testing'] },
      // The load tool runs against any deployment: the contract and production libraries only.
      { sourceTag: 'type:tool', onlyDependOnLibsWithTags: PRODUCTION },
      {
        sourceTag: 'type:script',
        onlyDependOnLibsWithTags: [...PRODUCTION, ...(allowTesting ? ['type:testing'] : [])],
      },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
      { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:shared'] },
      { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['scope:shared', 'scope:booking'] },
      { sourceTag: 'scope:booking', onlyDependOnLibsWithTags: ['scope:shared', 'scope:booking'] },
      { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:shared'] },
    ],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  {
    ignores: ['**/dist', '**/node_modules', '**/generated', '.nx', '.tap', 'bench/results'],
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // With noUncheckedIndexedAccess, `!` marks an index we know exists; the compiler stays strict.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
    },
  },
  {
    // Tests and the test runner (which provides their PostgreSQL and Redis) may use the test harnesses.
    files: ['**/test/**/*.ts', 'scripts/test.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(true) },
  },
];
