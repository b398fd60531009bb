import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  {
    ignores: ['**/dist', '**/node_modules', '**/generated', '.nx', '.tap', 'bench/results'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Module boundaries that mean something: apps never import apps; domain and data libs
      // never reach into apps; shared utilities depend only on shared utilities.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:util', 'type:domain', 'type:data'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util', 'type:domain', 'type:data'] },
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:util', 'type:domain'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:domain', 'type:data'] },
            // End-to-end tests drive the apps as processes; they may use any library, no app.
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:util', 'type:domain', 'type:data'] },
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['scope:shared', 'scope:booking'] },
            { sourceTag: 'scope:booking', onlyDependOnLibsWithTags: ['scope:shared', 'scope:booking'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // With noUncheckedIndexedAccess, `!` marks an index we know exists; the compiler stays strict.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
    },
  },
];
