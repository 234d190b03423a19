/**
 * One postgres.js pool per service, pinned to the service's own schema, with camelCase columns.
 */
import postgres, { type Sql } from 'postgres'
import type { DatabasePoolMode } from '@latchkey/contracts'

/**
 * DATABASE_POOL_MODE. `session`: a direct PostgreSQL (or a session-mode pooler): the schema is pinned by the
 * connection's search_path and statements are prepared. `transaction`: PgBouncer in transaction
 * mode, which hands each transaction any server connection of the pool: nothing may live in a
 * session, so no prepared statements (PgBouncer before 1.21 cannot route them) and no search_path
 * startup parameter (PgBouncer refuses it); the schema comes from the role's default search_path,
 * which `openServiceDatabase` checks. And no pipelining: postgres.js otherwise writes a query
 * behind one still running on the same connection, PgBouncer 1.18 hands the server connection
 * back to its pool at the first query's ReadyForQuery, and the second query's answer never
 * arrives (the request hangs; seen under concurrent requests).
 */
export type PoolMode = DatabasePoolMode

export interface ConnectOptions {
  url: string
  schema: string
  max?: number | undefined
  poolMode?: PoolMode
}

export function connectPostgres (options: ConnectOptions): Sql {
  const transactionPooled = options.poolMode === 'transaction'
  return postgres(options.url, {
    max: options.max ?? 10,
    transform: postgres.camel,
    prepare: !transactionPooled,
    // 0, not 1: at 1 one query may still wait behind the running one. sql.begin() works at 0
    // only with patches/postgres@3.4.9.patch.
    max_pipeline: transactionPooled ? 0 : 100,
    connection: transactionPooled
      ? { application_name: `latchkey-${options.schema}` }
      : { search_path: options.schema, application_name: `latchkey-${options.schema}` },
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60
  })
}

/** Bounded close: in-flight queries get a few seconds, then connections are ended. */
export async function closePostgres (sql: Sql): Promise<void> {
  await sql.end({ timeout: 5 })
}
