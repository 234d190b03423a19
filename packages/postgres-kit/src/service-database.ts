/**
 * How a service opens its database: connect, apply its migrations (over a direct connection when
 * one is given, since a transaction pooler may not be where DDL should run), then make sure the
 * pool really sees the service's schema first, so a pooler that dropped the search_path can never
 * send the service's writes to another schema.
 */
import type { Sql } from 'postgres'
import { closePostgres, connectPostgres, type PoolMode } from './connect.js'
import { runMigrations } from './migrate.js'

export interface ServiceDatabaseOptions {
  url: string
  /** A direct (not pooled) URL for migrations; default `url`. */
  migrationUrl?: string | undefined
  schema: string
  poolMode: PoolMode
  /** The service's `migrations` folder. */
  migrations: string
  /** Connections of the pool (connectPostgres' default when unset). */
  max?: number | undefined
}

export async function openServiceDatabase (options: ServiceDatabaseOptions): Promise<{ sql: Sql, applied: string[] }> {
  const applied = options.migrationUrl === undefined
    ? undefined
    : await migrateOver(options.migrationUrl, options)
  const sql = connectPostgres({ url: options.url, schema: options.schema, poolMode: options.poolMode, max: options.max })
  try {
    const pending = applied ?? await runMigrations(sql, { schema: options.schema, directory: options.migrations })
    await assertSchemaFirst(sql, options.schema)
    return { sql, applied: pending }
  } catch (error) {
    await closePostgres(sql)
    throw error
  }
}

async function migrateOver (url: string, options: ServiceDatabaseOptions): Promise<string[]> {
  const direct = connectPostgres({ url, schema: options.schema, max: 1 })
  try {
    return await runMigrations(direct, { schema: options.schema, directory: options.migrations })
  } finally {
    await closePostgres(direct)
  }
}

async function assertSchemaFirst (sql: Sql, schema: string): Promise<void> {
  const [{ currentSchema }] = await sql<[{ currentSchema: string | null }]>`SELECT current_schema()`
  if (currentSchema !== schema) {
    throw new Error(`the database connection resolves tables in schema ${JSON.stringify(currentSchema)}, not ${JSON.stringify(schema)}: ` +
      'behind PgBouncer in transaction mode (DATABASE_POOL_MODE=transaction) give the service\'s role that schema as its search_path ' +
      '(ALTER ROLE … SET search_path TO …; deploy/postgres/init does it)')
  }
}
