import t from 'tap'
import { build, logIn, register } from '../../helper.js'

t.test('retention › ASVS 14.2.7: two replicas at once delete each ended session once, in batches, and keep what is inside the window or live', async t => {
  const { app, sql, buildReplica } = await build(t, { env: { SESSION_RETENTION: '3600', OUTBOX_RETENTION: '3600' } })
  const replica = await buildReplica()
  const account = await register(app, { name: 'Ada Lovelace' })
  await logIn(app, account.email)
  // 2500 ended two hours ago (2.5 batches), 10 ended ten minutes ago, 1 live from the log in above.
  await sql`
    INSERT INTO sessions (account_id, expires_at, refresh_hash, revoked_at)
    SELECT ${account.id}, now() + interval '1 day', '\\x00'::bytea, now() - interval '2 hours' FROM generate_series(1, 2000)`
  await sql`
    INSERT INTO sessions (account_id, expires_at, refresh_hash)
    SELECT ${account.id}, now() - interval '2 hours', '\\x00'::bytea FROM generate_series(1, 500)`
  await sql`
    INSERT INTO sessions (account_id, expires_at, refresh_hash, revoked_at)
    SELECT ${account.id}, now() + interval '1 day', '\\x00'::bytea, now() - interval '10 minutes' FROM generate_series(1, 10)`

  const [a, b] = await Promise.all([app.retention.runOnce(), replica.retention.runOnce()])
  t.equal(a.sessions + b.sessions, 2500, 'together they deleted every ended session past the window, none twice')
  t.same(await sql`SELECT count(*)::int AS n FROM sessions`, [{ n: 11 }], 'the 10 inside the window and the live one stay')
  t.equal((await app.retention.runOnce()).sessions, 0, 'a second run finds nothing')
})

t.test('retention › ASVS 14.2.7: a published account event keeps its id and type, not the name', async t => {
  const { app, sql } = await build(t)
  await register(app, { name: 'Grace Hopper' })
  await app.outbox.flush()
  const rows = await sql<Array<{ payload: { type: string, data: Record<string, unknown> }, publishedAt: Date | null }>>`SELECT payload, published_at FROM outbox`
  t.equal(rows.length, 1)
  t.ok(rows[0]?.publishedAt)
  t.equal(rows[0]?.payload.type, 'account.created')
  t.notOk('name' in (rows[0]?.payload.data ?? {}), 'the name went with the delivery')
  t.type(rows[0]?.payload.data.id, 'string', 'the id stays')
})
