/**
 * One postgres.js pool per service, pinned to the service's own schema, with camelCase columns.
 */
import postgres, { type Sql } from 'postgres'

export interface ConnectOptions {
  url: string
  schema: string
  max?: number
}

export function connectPostgres (options: ConnectOptions): Sql {
  return postgres(options.url, {
    max: options.max ?? 10,
    transform: postgres.camel,
    connection: { search_path: options.schema, application_name: `latchkey-${options.schema}` },
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60
  })
}

/** Bounded close: in-flight queries get a few seconds, then connections are ended. */
export async function closePostgres (sql: Sql): Promise<void> {
  await sql.end({ timeout: 5 })
}
