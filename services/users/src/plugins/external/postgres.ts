/**
 * Exposes the injected postgres.js pool as `app.sql` and brings the schema up to date before any
 * route can run. The pool belongs to whoever injected it: this plugin never ends it.
 */
import fp from 'fastify-plugin'
import type { Sql } from 'postgres'
import { runUsersMigrations } from '../../db/migrations.js'

declare module 'fastify' {
  interface FastifyInstance {
    sql: Sql
  }
}

export interface PostgresPluginOptions {
  sql: Sql
  schema: string
}

export default fp<PostgresPluginOptions>(async function postgres (app, options) {
  const applied = await runUsersMigrations(options.sql, options.schema)
  if (applied.length > 0) app.log.info({ schema: options.schema, applied }, 'migrations applied')
  app.decorate('sql', options.sql)
}, { name: 'postgres', fastify: '5.x' })
