import t from 'tap'
import { skipWithoutRedis, startOwnRedis } from '@latchkey/test-support'
import { bearer, build, eventually, logIn, problemOf, register, registeredUser, uniqueEmail } from './helper.js'

t.test('Redis down: guards serve from their view, then fail closed; log in answers 503; all recovers (ASVS 16.5.2, 16.5.3)', { skip: await skipWithoutRedis() }, async t => {
  const redis = await startOwnRedis()
  t.teardown(async () => { await redis.stop() })
  const { app } = await build(t, { redisUrl: redis.url, env: { REVOCATION_MAX_STALENESS: '2' } })
  const user = await registeredUser(app)
  await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })

  await redis.stop()
  t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200, 'within the staleness bound the view still answers')
  const login = await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: user.password } })
  t.equal(login.statusCode, 503, 'log in does not run without its rate limiter')
  t.equal(problemOf(login).code, 'service_unavailable')
  t.match(login.headers['content-type'], /application\/problem\+json/)
  t.ok(await eventually(async () => (await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode === 503, 5000, 100),
    'once the view is older than REVOCATION_MAX_STALENESS the guard answers 503')

  await redis.start()
  t.ok(await eventually(async () => (await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode === 200, 10_000, 100), 'the guard recovers by itself')
  t.ok(await eventually(async () => (await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: user.password } })).statusCode === 201, 10_000, 100), 'log in recovers by itself')
})

t.test('PostgreSQL down: /verify keeps working, writes answer 503 problem+json, all recovers', async t => {
  const { app, databaseProxy: proxy } = await build(t, { databaseProxy: true })
  if (proxy === undefined) throw new Error('no database proxy')
  const user = await registeredUser(app)

  await proxy.cut()
  const verify = await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })
  t.equal(verify.statusCode, 200, 'token checks need no database')
  for (const request of [
    { method: 'POST' as const, url: '/sessions', payload: { email: user.email, password: user.password } },
    { method: 'POST' as const, url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } },
    { method: 'POST' as const, url: '/accounts', payload: { email: `x${Date.now()}@example.test`, password: 'a long enough passphrase', name: 'X' } }
  ]) {
    const response = await app.inject(request)
    t.equal(response.statusCode, 503, `${request.url} answers 503`)
    t.equal(problemOf(response).code, 'service_unavailable')
  }
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 503, 'not ready without its database')

  await proxy.restore()
  t.ok(await eventually(async () => (await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })).statusCode === 200, 10_000, 200),
    'refresh works again once the database is back (the token was never consumed)')
  const { email } = await register(app)
  t.ok(await logIn(app, email))
})

/** The response, or undefined when the request has not completed within timeoutMs (a hang). */
async function completes<T> (request: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, timeoutMs) })
  try {
    return await Promise.race([request, hang])
  } finally {
    clearTimeout(timer)
  }
}

t.test('Redis black-holed (process stopped, connections open): register, log in and deletion answer 503, log out completes, no PostgreSQL transaction waits on Redis; all recovers (ASVS 16.5.2, 16.5.3)', { skip: await skipWithoutRedis() }, async t => {
  const redis = await startOwnRedis()
  t.teardown(async () => { await redis.stop() })
  // The revocation view may stay unconfirmed for the whole test, so what answers below is each
  // route's own Redis call, not the guard's staleness rule.
  const adminEmail = uniqueEmail()
  const { app, sql, schema } = await build(t, {
    redisUrl: redis.url,
    env: { REDIS_COMMAND_TIMEOUT: '500', REVOCATION_MAX_STALENESS: '600', BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap admin passphrase' }
  })
  const admin = await logIn(app, adminEmail, 'bootstrap admin passphrase')
  const leaving = await registeredUser(app)
  const renamed = await registeredUser(app)
  const deleting = await registeredUser(app)
  const staying = await registeredUser(app)

  redis.pause()
  const bound = 15_000
  const registration = await completes(app.inject({ method: 'POST', url: '/accounts', payload: { email: `x${Date.now()}@example.test`, password: 'a long enough passphrase', name: 'X' } }), bound)
  t.equal(registration?.statusCode, 503, 'registration completes: 503, its abuse limit cannot be checked')
  if (registration !== undefined) {
    t.equal(problemOf(registration).code, 'service_unavailable')
    t.match(registration.headers['content-type'], /application\/problem\+json/)
  }
  const login = await completes(app.inject({ method: 'POST', url: '/sessions', payload: { email: staying.email, password: staying.password } }), bound)
  t.equal(login?.statusCode, 503, 'log in completes: 503, never unlimited')
  if (login !== undefined) t.equal(problemOf(login).code, 'service_unavailable')

  // Both changes are durable in PostgreSQL before the answer; Redis gets them once it answers again.
  const logout = await completes(app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(leaving.tokens.accessToken) }), bound)
  t.equal(logout?.statusCode, 204, 'log out completes')
  const [session] = await sql<Array<{ revokedAt: Date | null }>>`SELECT revoked_at FROM sessions WHERE id = ${leaving.tokens.sessionId}`
  t.not(session?.revokedAt ?? null, null, 'the session is ended in PostgreSQL')
  const deletion = await completes(app.inject({ method: 'DELETE', url: '/accounts/me', headers: bearer(deleting.tokens.accessToken), payload: { password: deleting.password } }), bound)
  // Its password check counts as a log-in, and a limit that cannot be checked is not skipped.
  t.equal(deletion?.statusCode, 503, 'account deletion completes: 503, its password-attempt limit cannot be checked')
  t.equal((await sql`SELECT 1 FROM accounts WHERE id = ${deleting.id}`).length, 1, 'nothing was half done: the account is still there')
  // An administrator's change needs no abuse limit: it commits, and its account event waits in the outbox.
  const disabled = await completes(app.inject({ method: 'PATCH', url: `/accounts/${renamed.id}`, headers: bearer(admin.accessToken), payload: { status: 'disabled' } }), bound)
  t.equal(disabled?.statusCode, 200, 'an admin change completes during the fault')
  t.ok((await sql`SELECT 1 FROM outbox WHERE published_at IS NULL`).length > 0, 'its account event waits in the outbox')

  // The outbox relay keeps retrying (every second) while Redis is silent: none of its passes may
  // hold a transaction open waiting for Redis.
  const idleInTransaction: number[] = []
  for (let sample = 0; sample < 15; sample++) {
    const [row] = await sql<Array<{ count: number }>>`
      SELECT count(*)::int AS count FROM pg_stat_activity
      WHERE application_name = ${`latchkey-${schema}`} AND state LIKE 'idle in transaction%'`
    idleInTransaction.push(row?.count ?? -1)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  t.same(idleInTransaction.filter(count => count !== 0), [], 'no PostgreSQL connection of the service sits idle in a transaction')

  redis.resume()
  t.ok(await eventually(async () => (await app.inject({ method: 'POST', url: '/sessions', payload: { email: staying.email, password: staying.password } })).statusCode === 201, 10_000, 100), 'log in recovers by itself')
  const { email } = await register(app)
  t.ok(await logIn(app, email), 'registration recovers by itself')
  t.ok(await eventually(async () => (await sql`SELECT 1 FROM outbox WHERE published_at IS NULL`).length === 0, 10_000, 100), 'the account events written during the fault reach Redis')
  t.ok(await eventually(async () => (await app.inject({ method: 'GET', url: '/verify', headers: bearer(leaving.tokens.accessToken) })).statusCode === 401, 10_000, 100), 'the logged-out token is refused')
})
