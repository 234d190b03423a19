/**
 * Two auth and two users processes (the built servers) on one PostgreSQL and one Redis, as a
 * team scales Latchkey out behind a load balancer.
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { skipWithoutRedis } from '@latchkey/test-support'
import { authEnv, call, entryOf, freePort, isolate, spawnService, usersEnv, type ServiceProcess } from './processes.js'

const password = 'correct horse battery staple'

async function until (check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return await check() ? performance.now() - started : Infinity
}

/** `account event handled` log lines of a users process: event id → outcome. */
function handledEvents (service: ServiceProcess): Array<{ eventId: string, outcome: string }> {
  return service.output().split('\n').flatMap(line => {
    if (!line.startsWith('{')) return []
    const entry = JSON.parse(line) as { msg?: string, eventId?: string, outcome?: string }
    return entry.msg === 'account event handled' && entry.eventId !== undefined ? [{ eventId: entry.eventId, outcome: entry.outcome ?? '' }] : []
  })
}

t.test('two auth and two users replicas on one PostgreSQL and one Redis', { skip: await skipWithoutRedis() }, async t => {
  const isolation = await isolate(t)
  const ports = { auth: [await freePort(), await freePort()], users: [await freePort(), await freePort()] }
  // Started together: both replicas of a service race for the same fresh schema.
  const auths = await Promise.all(ports.auth.map(async port => await spawnService(t, entryOf('auth'), authEnv(isolation, port), { port })))
  const [auth1, auth2] = auths as [ServiceProcess, ServiceProcess]
  const userses = await Promise.all(ports.users.map(async (port, i) =>
    await spawnService(t, entryOf('users'), usersEnv(isolation, port, auths[i]?.url ?? '', { LOG_LEVEL: 'debug' }), { port })))
  const [users1, users2] = userses as [ServiceProcess, ServiceProcess]
  const sql = connectPostgres({ url: isolation.env.DATABASE_URL, schema: 'public', max: 2 })
  t.teardown(async () => { await closePostgres(sql) })

  t.test('applies each schema\'s migrations once, in one transaction, when replicas start together', async t => {
    for (const schema of [isolation.env.AUTH_DATABASE_SCHEMA, isolation.env.USERS_DATABASE_SCHEMA]) {
      const [row] = await sql.unsafe<Array<{ files: number, transactions: number }>>(
        `SELECT count(*)::int AS files, count(DISTINCT applied_at)::int AS transactions FROM ${schema}.schema_migrations`)
      t.ok((row?.files ?? 0) > 0, `${schema}: ${row?.files} migrations recorded`)
      t.equal(row?.transactions, 1, `${schema}: all applied by one replica in one transaction`)
    }
  })

  async function signUp (auth: ServiceProcess, name: string): Promise<{ id: string, email: string, accessToken: string }> {
    const email = `scale-${randomUUID()}@example.test`
    const created = await call(`${auth.url}/accounts`, 'POST', { body: { email, password, name } })
    if (created.status !== 201) throw new Error(`register: ${created.status}`)
    const session = await call(`${auth.url}/sessions`, 'POST', { body: { email, password } })
    if (session.status !== 201) throw new Error(`log in: ${session.status}`)
    return { id: String(created.body.id), email, accessToken: String(session.body.accessToken) }
  }

  t.test('a log-out through one auth replica is refused by both users replicas (and the other auth replica) within 1 s', async t => {
    for (const [via, other] of [[auth1, auth2], [auth2, auth1]] as const) {
      const user = await signUp(via, 'Ada Lovelace')
      for (const users of userses) {
        t.ok(await until(async () => (await call(`${users.url}/users/me`, 'GET', { token: user.accessToken })).status === 200, 3000) < 3000, 'profile visible')
      }
      t.equal((await call(`${other.url}/sessions/current`, 'DELETE', { token: user.accessToken })).status, 204, 'logged out through the other replica')
      const started = performance.now()
      const refusedIn = await Promise.all([...userses, via].map(async service => await until(async () => {
        const response = await call(`${service.url}${service === via ? '/verify' : '/users/me'}`, 'GET', { token: user.accessToken })
        return response.status === 401 && response.body.code === 'token_revoked'
      }, 1000)))
      t.ok(refusedIn.every(ms => ms <= 1000), `refused after ${refusedIn.map(ms => Math.round(ms)).join(', ')} ms (within ${Math.round(performance.now() - started)} ms)`)
    }
  })

  t.test('applies each account event exactly once across the users consumer group', async t => {
    const accounts = await Promise.all(Array.from({ length: 12 }, async (_, i) => await signUp(i % 2 === 0 ? auth1 : auth2, `Replica User ${i}`)))
    await Promise.all(accounts.slice(0, 4).map(async account => {
      t.equal((await call(`${auth1.url}/accounts/me`, 'DELETE', { token: account.accessToken, body: { password } })).status, 204)
    }))
    const ids = accounts.map(account => account.id)
    const outbox = await sql.unsafe<Array<{ id: string }>>(
      `SELECT id::text FROM ${isolation.env.AUTH_DATABASE_SCHEMA}.outbox WHERE payload->'data'->>'id' = ANY($1)`, [ids])
    t.equal(outbox.length, 16, '12 account.created and 4 account.deleted events')
    const expected = new Set(outbox.map(row => row.id))
    const handledEverywhere = (): Array<{ eventId: string, outcome: string }> =>
      [...handledEvents(users1), ...handledEvents(users2)].filter(event => expected.has(event.eventId))
    t.ok(await until(async () => new Set(handledEverywhere().map(event => event.eventId)).size === expected.size, 5000) < 5000, 'every event handled')

    const applied = handledEverywhere().filter(event => event.outcome === 'applied')
    const perEvent = new Map<string, number>()
    for (const event of applied) perEvent.set(event.eventId, (perEvent.get(event.eventId) ?? 0) + 1)
    t.same([...expected].filter(id => perEvent.get(id) !== 1), [], 'each event applied exactly once')
    t.equal(handledEverywhere().length, expected.size, 'and delivered once: no redelivery, no duplicate handling')
    const mine = (service: ServiceProcess): number => handledEvents(service).filter(event => expected.has(event.eventId)).length
    t.comment(`users replica 1 handled ${mine(users1)} events, replica 2 handled ${mine(users2)}`)

    const [profiles] = await sql.unsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ${isolation.env.USERS_DATABASE_SCHEMA}.profiles WHERE id = ANY($1)`, [ids])
    t.equal(profiles?.n, 8, 'the 8 live accounts have a profile, the 4 deleted ones none')
  })

  t.test('every replica exits 0 on SIGTERM', async t => {
    const exits = await Promise.all([...userses, ...auths].map(async service => await service.stop('SIGTERM')))
    t.same(exits.map(exit => exit.code), [0, 0, 0, 0])
  })
})
