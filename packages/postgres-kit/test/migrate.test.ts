import t from 'tap'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { connectPostgres, closePostgres, runMigrations } from '../src/index.js'

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

t.test('runMigrations › applies each file once even when two replicas start together', async t => {
  const schema = `kit_${randomBytes(6).toString('hex')}`
  const directory = await mkdtemp(join(tmpdir(), 'migrations-'))
  await writeFile(join(directory, '00001_create-things.sql'), 'CREATE TABLE things (id int PRIMARY KEY);')
  await writeFile(join(directory, '00002_add-name.sql'), 'ALTER TABLE things ADD COLUMN name text;')
  await writeFile(join(directory, 'README.md'), 'not a migration')
  const a = connectPostgres({ url, schema })
  const b = connectPostgres({ url, schema })
  t.teardown(async () => {
    await a`DROP SCHEMA IF EXISTS ${a(schema)} CASCADE`
    await closePostgres(a)
    await closePostgres(b)
  })
  const [first, second] = await Promise.all([
    runMigrations(a, { schema, directory }),
    runMigrations(b, { schema, directory })
  ])
  t.same([...first, ...second].sort(), ['00001_create-things.sql', '00002_add-name.sql'])
  const rows = await a`SELECT name FROM schema_migrations ORDER BY name`
  t.equal(rows.length, 2)
  await a`INSERT INTO things (id, name) VALUES (1, 'x')`
  t.same(await runMigrations(a, { schema, directory }), [], 'a later start applies nothing')
})
