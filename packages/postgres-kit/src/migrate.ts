/**
 * Forward-only migrations: numbered `.sql` files applied in order at start-up, each service in
 * its own schema. One transaction under an advisory lock keyed by the schema name, so replicas
 * starting together apply each file exactly once.
 */
import { readdir, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Sql } from 'postgres'

const MIGRATION_FILE = /^(\d{5})_[a-z0-9-]+\.sql$/

export async function runMigrations (sql: Sql, options: { schema: string, directory: string }): Promise<string[]> {
  const files = (await readdir(options.directory)).filter(name => MIGRATION_FILE.test(name)).sort()
  const applied: string[] = []
  await sql.begin(async tx => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${'latchkey-migrations:' + options.schema}))`
    await tx`CREATE SCHEMA IF NOT EXISTS ${tx(options.schema)}`
    await tx`SET LOCAL search_path TO ${tx(options.schema)}`
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`
    const done = new Set((await tx<Array<{ name: string }>>`SELECT name FROM schema_migrations`).map(row => row.name))
    for (const file of files) {
      if (done.has(file)) continue
      await tx.unsafe(await readFile(join(options.directory, file), 'utf8'))
      await tx`INSERT INTO schema_migrations (name) VALUES (${file})`
      applied.push(file)
    }
  })
  return applied
}

/**
 * The `migrations` folder of the package a module belongs to, found by walking up from it: the
 * same answer from `src/` (tests) and from `dist/src/` (built).
 */
export function migrationsDirectoryOf (moduleUrl: string): string {
  let directory = dirname(fileURLToPath(moduleUrl))
  while (!existsSync(join(directory, 'migrations'))) {
    const parent = dirname(directory)
    if (parent === directory) throw new Error(`no migrations folder above ${moduleUrl}`)
    directory = parent
  }
  return join(directory, 'migrations')
}
