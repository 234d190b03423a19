/**
 * The dependency rule (docs/architecture.md): imports point one way.
 *   packages/  shared libraries: import other packages only, never a service or an app
 *   services/  import packages, never another service
 *   apps/      composition roots (the launcher): import packages and services; nothing imports them
 *   e2e/       system tests: may import anything; nothing imports them, with one exception below
 * Workspace packages are imported by name (`@latchkey/auth`); pnpm links them, and the cruise
 * follows the link to the real folder (services/auth/…), so the rules are written on folders.
 * `pnpm deps` runs it, from the source and test folders of every workspace package.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'package-imports-service-or-app',
      comment: 'A package is shared by the services: it must not depend on one, nor on an app or e2e.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^(services|apps|e2e)/', pathNot: '^e2e/(dist/)?support/' }
    },
    {
      name: 'service-imports-another-service',
      comment: 'A service talks to another over HTTP and Redis, never through its code.',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/([^/]+)/', pathNot: '^services/$1/' }
    },
    {
      name: 'service-imports-app-or-e2e',
      severity: 'error',
      from: { path: '^services/' },
      to: { path: '^(apps|e2e)/' }
    },
    {
      name: 'only-e2e-imports-apps-and-e2e',
      comment: 'Apps and e2e are leaves of the graph: only e2e may import them. The one exception: the ' +
        'client\'s tests start both real services through e2e\'s stack helper (e2e/support), since a ' +
        'package may not compose the services itself.',
      severity: 'error',
      from: { pathNot: ['^e2e/', '^apps/([^/]+)/', '^packages/client/test/'] },
      to: { path: '^(apps|e2e)/' }
    },
    {
      name: 'client-tests-use-only-the-e2e-stack-helper',
      severity: 'error',
      from: { path: '^packages/client/test/' },
      to: { path: '^(apps|e2e)/', pathNot: '^e2e/(dist/)?support/' }
    },
    {
      name: 'app-imports-another-app',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^(apps/|e2e/)', pathNot: '^apps/$1/' }
    },
    {
      name: 'redis-connections-through-redis-kit',
      comment: 'Every Redis connection of the product is made and closed by @latchkey/redis-kit (command ' +
        'timeouts, protocol, error listener; later Sentinel and Cluster): no other source imports ioredis. ' +
        'Tests and the bench may, for their own probes and clean-ups.',
      severity: 'error',
      from: { path: '^(packages|services|apps)/[^/]+/src/', pathNot: '^packages/redis-kit/' },
      to: { path: 'node_modules/.*ioredis' }
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the cruise cannot resolve could hide a violation.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true }
    }
  ],
  options: {
    // A workspace import lands in the built output (package.json exports point to dist/, so
    // `pnpm deps` builds first): record the edge, but never read the compiled copies. The cruise
    // starts from the source folders only (the roots in package.json's `deps` script).
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'node', 'default'],
      extensions: ['.ts', '.js', '.d.ts']
    }
  }
}
