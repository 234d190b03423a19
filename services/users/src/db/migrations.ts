/**
 * The users service's migrations: its numbered `.sql` files, applied by the shared runner (one
 * transaction, advisory lock per schema) into its own schema.
 */
import type { Sql } from 'postgres'
import { migrationsDirectoryOf, runMigrations } from '@latchkey/postgres-kit'

const directory = migrationsDirectoryOf(import.meta.url)

/** Applies every pending migration to `schema` (created if absent); returns the files applied. */
export async function runUsersMigrations (sql: Sql, schema: string): Promise<string[]> {
  return await runMigrations(sql, { schema, directory })
}
