import t from 'tap'
import { randomUUID } from 'node:crypto'
import { connectPostgres } from '@latchkey/postgres-kit'
import { testDatabaseUrl } from '@latchkey/test-support'
import { runUsersMigrations } from '../src/index.js'

t.test('runUsersMigrations › two replicas starting together apply each file exactly once', async t => {
  const schema = `users_t_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const sql = connectPostgres({ url: await testDatabaseUrl(), schema })
  t.teardown(async () => {
    await sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`
    await sql.end({ timeout: 5 })
  })
  const [first, second] = await Promise.all([runUsersMigrations(sql, schema), runUsersMigrations(sql, schema)])
  const applied = [...first, ...second].sort()
  t.same(applied, ['00001_create-profiles.sql', '00002_create-account-event-bookkeeping.sql', '00003_processed-events-retention.sql'])
  t.same(await runUsersMigrations(sql, schema), [], 'nothing left to apply')
  const tables = await sql<Array<{ tableName: string }>>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY table_name`
  t.same(tables.map(row => row.tableName), ['deleted_accounts', 'processed_events', 'profiles', 'schema_migrations'])
})
