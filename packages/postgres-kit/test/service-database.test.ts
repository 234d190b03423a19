import t, { type Test } from 'tap'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { closePostgres, connectPostgres, openServiceDatabase } from '../src/index.js'

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function migrations (): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'migrations-'))
  await writeFile(join(directory, '00001_create-things.sql'), 'CREATE TABLE things (id int PRIMARY KEY);')
  return directory
}

async function dropAfter (t: Test, schema: string): Promise<void> {
  t.teardown(async () => {
    const sql = connectPostgres({ url, schema: 'public', max: 1 })
    await sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`
    await closePostgres(sql)
  })
}

t.test('openServiceDatabase › migrates over the migration URL, then serves the schema over the pool', async t => {
  const schema = `kit_${randomBytes(6).toString('hex')}`
  await dropAfter(t, schema)
  const { sql, applied } = await openServiceDatabase({ url, migrationUrl: url, schema, poolMode: 'session', migrations: await migrations() })
  t.teardown(async () => { await closePostgres(sql) })
  t.same(applied, ['00001_create-things.sql'])
  await sql`INSERT INTO things (id) VALUES (1)`
  t.same(await sql`SELECT current_schema() AS schema`, [{ schema }])
})

t.test('openServiceDatabase › in transaction mode refuses a connection whose search_path does not lead to the schema', async t => {
  const schema = `kit_${randomBytes(6).toString('hex')}`
  await dropAfter(t, schema)
  // Transaction mode sends no search_path: the role's default (here "$user", public) decides.
  await t.rejects(openServiceDatabase({ url, schema, poolMode: 'transaction', migrations: await migrations() }),
    /resolves tables in schema "public", not "kit_[0-9a-f]+".*search_path/)
})
