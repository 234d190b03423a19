/**
 * Forward-only migrations: the numbered `.sql` files in ../../migrations, applied in order at
 * start-up, in one transaction under an advisory lock keyed by the schema name, so replicas
 * starting together apply each file exactly once.
 */
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Sql } from 'postgres'

const here = dirname(fileURLToPath(import.meta.url))
// Compiled: dist/src/db → ../../../migrations; run from source (tests): src/db → ../../migrations
const MIGRATIONS_DIR = join(here, here.includes(`${sep}dist${sep}`) ? '../../../migrations' : '../../migrations')
const MIGRATION_FILE = /^\d{5}_[a-z0-9-]+\.sql$/

/** Applies every pending migration to `schema` (created if absent); returns the files applied. */
export async function runUsersMigrations (sql: Sql, schema: string): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter(name => MIGRATION_FILE.test(name)).sort()
  const applied: string[] = []
  await sql.begin(async tx => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`latchkey-migrations:${schema}`}))`
    await tx`CREATE SCHEMA IF NOT EXISTS ${tx(schema)}`
    await tx`SET LOCAL search_path TO ${tx(schema)}`
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`
    const done = new Set((await tx<Array<{ name: string }>>`SELECT name FROM schema_migrations`).map(row => row.name))
    for (const file of files) {
      if (done.has(file)) continue
      await tx.unsafe(await readFile(join(MIGRATIONS_DIR, file), 'utf8'))
      await tx`INSERT INTO schema_migrations (name) VALUES (${file})`
      applied.push(file)
    }
  })
  return applied
}
