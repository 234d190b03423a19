/**
 * The users service's postgres.js pool: pinned to its own schema (it never sees the auth
 * service's tables) and mapping snake_case columns to camelCase. The one-process launcher must
 * build the `sql` it injects with this function.
 */
import postgres, { type Sql } from 'postgres'

export interface UsersSqlOptions {
  url: string
  schema: string
  max?: number
}

export function createUsersSql (options: UsersSqlOptions): Sql {
  return postgres(options.url, {
    max: options.max ?? 10,
    transform: postgres.camel,
    connection: { search_path: options.schema, application_name: 'latchkey-users' },
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60
  })
}
