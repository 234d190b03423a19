/**
 * Exposes the injected postgres.js pool as `app.sql`. The pool belongs to whoever injected it (the
 * runtime, which also migrated it): this plugin never ends it.
 */
import fp from 'fastify-plugin'
import type { Sql } from 'postgres'

declare module 'fastify' {
  interface FastifyInstance {
    sql: Sql
  }
}

export default fp<{ sql: Sql }>(async function postgres (app, options) {
  app.decorate('sql', options.sql)
}, { name: 'postgres', fastify: '5.x' })
