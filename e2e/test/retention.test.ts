/**
 * Retention (issue 13 item 7) across both services: after the retention window nothing of a
 * deleted account's personal data is left in either schema or in the event streams, while live
 * data stays. The windows are 0 s here; the auth service's run is called directly (to see what it
 * deleted), the users service's comes from its schedule (every second here).
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { TokenPair } from '@latchkey/contracts'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { testDatabaseUrl } from '@latchkey/test-support'
import { Redis } from 'ioredis'
import type { AuthRetention } from '@latchkey/auth'
import { skipWithoutRedis } from '@latchkey/test-support'
import { password, signUp, startTestStack, until } from './helper.js'

t.test('retention › ASVS 14.2.7: a deleted account leaves no name or email in auth.*, users.* or the streams once the window passed; live data stays', { skip: await skipWithoutRedis() }, async t => {
  // RETENTION_INTERVAL: the users service's run comes from its schedule; the auth service's
  // schedule (an hour) stays out of the way of the counts asserted below.
  const client = await startTestStack(t, { SESSION_RETENTION: '0', OUTBOX_RETENTION: '0', PROCESSED_EVENT_RETENTION: '0' }, 'ret', { usersEnv: { RETENTION_INTERVAL: '1' } })
  const { auth, users, stack } = client
  const retention: AuthRetention = stack.auth.retention
  const sql = connectPostgres({ url: await testDatabaseUrl(), schema: 'public', max: 1 })
  const redis = new Redis(stack.authConfig.REDIS_URL ?? '')
  t.teardown(async () => { await closePostgres(sql); redis.disconnect() })
  const authSchema = stack.authConfig.AUTH_DATABASE_SCHEMA
  const usersSchema = stack.usersConfig.USERS_DATABASE_SCHEMA
  const stream = `${stack.authConfig.REDIS_PREFIX}account-events`

  const name = `Gone ${randomUUID()}`
  const gone = await signUp(client, name)
  const stays = await signUp(client, 'Still Here')
  for (const user of [gone, stays]) {
    t.ok(await until(async () => (await client.call(users, 'GET', '/users/me', { token: user.accessToken })).status === 200, 3000) < 3000)
  }
  const ended = await client.call<TokenPair>(auth, 'POST', '/sessions', { body: { email: stays.email, password } })
  t.equal((await client.call(auth, 'DELETE', '/sessions/current', { token: ended.body.accessToken })).status, 204)
  t.equal((await client.call(auth, 'DELETE', '/accounts/me', { token: gone.accessToken, body: { password } })).status, 204)
  t.ok(await until(async () => (await client.call(users, 'GET', `/users/${gone.id}`, { token: stays.accessToken })).status === 404, 3000) < 3000, 'the profile is gone')
  // Everything delivered: events relayed and acknowledged by the users group, mails sent.
  t.ok(await until(async () => {
    const [pending] = await redis.xpending(stream, 'users') as [unknown]
    const [outbox] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${authSchema}.outbox WHERE published_at IS NULL`)
    const [mails] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${authSchema}.mail_outbox WHERE sent_at IS NULL AND dead_at IS NULL`)
    return Number(pending) === 0 && outbox?.n === 0 && mails?.n === 0
  }, 5000) < 5000)

  const holders = async (): Promise<string[]> => {
    const found: string[] = []
    for (const schema of [authSchema, usersSchema]) {
      const tables = await sql<Array<{ tablename: string }>>`SELECT tablename FROM pg_tables WHERE schemaname = ${schema}`
      for (const { tablename } of tables) {
        const rows = await sql.unsafe<Array<{ row: string }>>(`SELECT t::text AS row FROM ${schema}.${tablename} t`)
        for (const { row } of rows) if (row.includes(name) || row.includes(gone.email)) found.push(`${schema}.${tablename}: ${row}`)
      }
    }
    for (const key of [stream, `${stream}:dead`]) {
      for (const [id, fields] of await redis.xrange(key, '-', '+')) {
        if (fields.join(' ').includes(name) || fields.join(' ').includes(gone.email)) found.push(`${key} ${id}`)
      }
    }
    return found
  }
  const [published] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${authSchema}.outbox WHERE payload::text LIKE '%' || $1 || '%'`, [name])
  t.equal(published?.n, 0, 'a delivered outbox row keeps no name even before retention')
  t.ok((await holders()).length > 0, 'before the run, the stream still holds the account.created entry')

  const authRun = await retention.runOnce()
  t.ok(authRun.sessions >= 1 && authRun.outbox >= 3 && authRun.mails >= 2 && authRun.streamEntries >= 3, JSON.stringify(authRun))
  t.ok(await until(async () => {
    const [left] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${usersSchema}.processed_events`)
    return left?.n === 0
  }, 3000) < 3000, 'the users service\'s scheduled run deleted its processed-event records')
  t.same(await holders(), [], 'no row and no stream entry holds the name or the email')

  t.equal((await client.call(users, 'GET', '/users/me', { token: stays.accessToken })).status, 200, 'the live account\'s profile stays')
  t.equal((await client.call(auth, 'GET', '/verify', { token: stays.accessToken })).status, 200, 'and its live session')
  const [sessions] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${authSchema}.sessions`)
  t.equal(sessions?.n, 1, 'the ended session is deleted, the live one is not')
  t.same(await retention.runOnce(), { sessions: 0, outbox: 0, mails: 0, streamEntries: 0, deadLetters: 0 }, 'a second run finds nothing')
})
