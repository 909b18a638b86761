// ESLint flat config: @eslint/js recommended plus typescript-eslint's recommended type-checked rules, with type
// information from tsconfig.json (through the project service).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'dist/',
      'web/dist/',
      'node_modules/',
      '.prag/',
      '.scratch/',
      'schemas/migrations/',
      'deploy/out/',
      'demo/archive/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        // The JS entry points are outside tsconfig.json: they get a default project (and no type-aware rules, below).
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'src/*/*.mjs', 'test/helpers/*.cjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its rejection and its ordering; one handed to a callback that expects
      // void (an event listener, forEach) loses its rejection too. Both are in the recommended set; stated here
      // because they are the reason this config exists.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Types through `import type` / `import { type X }` (the codebase's inline style). verbatimModuleSyntax keeps
      // every other import at run time, so this also keeps type-only modules from being loaded.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // `import { type A }` keeps `import 'mod'` at run time under verbatimModuleSyntax: all-type imports use `import type`.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // `x!` is an unchecked claim; narrow, destructure, or check and throw instead.
      '@typescript-eslint/no-non-null-assertion': 'error',

      // Off, with the reason:
      // Async functions without an await here implement async interfaces (format parsers, file sources, TEE
      // providers, the extractive answer stream) whose other implementations do await. Making them sync and
      // wrapping results in Promise.resolve would change nothing but the noise.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests parse JSON from the CLI's stdout and from HTTP replies and check it with expect(); typing every such
    // value to satisfy the no-unsafe-* rules adds nothing a failing expectation does not already catch. Source
    // code keeps these rules: there, `any` is a real hole.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // JS entry points and this file have no type information: the type-aware rules cannot run on them.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
