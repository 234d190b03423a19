// The house style as a lint gate: neostandard (the Fastify ecosystem's style, no semicolons) for
// layout, typescript-eslint's strict type-aware rules for correctness. Every rule turned off here
// says why on its line; keep that list short.
import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'
import tseslint from 'typescript-eslint'

// neostandard 0.13 is written for @stylistic 2, which ESLint 10 cannot run; pnpm-workspace.yaml
// overrides it with @stylistic 5, where one rule neostandard names was renamed and some option
// spellings changed (allowMultiplePropertiesPerLine was the old name of allowAllPropertiesOnSameLine,
// allowTemplateLiterals: false is now 'never'). @stylistic 5 also applies operator-linebreak to
// type unions and intersections, which 2 never did: they keep TypeScript's leading | and &.
const renamed = { '@stylistic/func-call-spacing': '@stylistic/function-call-spacing' }
const adapted = {
  '@stylistic/object-property-newline': ['error', { allowAllPropertiesOnSameLine: true }],
  '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'never' }],
  '@stylistic/operator-linebreak': ['error', 'after', { overrides: { '?': 'before', ':': 'before', '|>': 'before', '|': 'before', '&': 'before' } }]
}
const style = neostandard({ ts: true, noJsx: true, ignores: resolveIgnoresFromGitignore() }).map(config =>
  config.rules === undefined
    ? config
    : {
        ...config,
        rules: Object.fromEntries(Object.entries(config.rules).map(([name, setting]) =>
          [renamed[name] ?? name, adapted[name] ?? setting]))
      })

export default tseslint.config(
  ...style,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      // tap tracks the promise of every subtest itself; awaiting each t.test would serialise nothing
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/core', name: ['test'] }, { from: 'package', package: '@tapjs/test', name: ['test'] }]
      }],
      // numbers in messages and log text are what a reader expects to see
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // typescript-eslint marks a deliberately unawaited promise with void, which neostandard forbids
      'no-void': ['error', { allowAsStatement: true }],
      // Fastify's promise API: a plugin, hook or handler is async to say it takes no callback
      '@typescript-eslint/require-await': 'off',
      // TypeScript reports real redeclarations; an `as const` object and its type share a name (no enums)
      '@typescript-eslint/no-redeclare': 'off',
      // the underscore convention TypeScript's noUnusedParameters already follows
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      // light-my-request's response.json() is any by design; the assertions on it are the check
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // a test asserts that a call answers nothing: t.equal(await client.revokeSession(id), undefined)
      '@typescript-eslint/no-confusing-void-expression': 'off'
    }
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked]
  }
)
