import t from 'tap'
import { skipWithoutRedis, startOwnRedis, startTcpProxy, testDatabaseUrl } from '@latchkey/test-support'
import { bearer, build, eventually, logIn, problemOf, register, registeredUser } from './helper.js'

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
  const proxy = await startTcpProxy(await testDatabaseUrl())
  t.teardown(async () => { await proxy.close() })
  const { app } = await build(t, { databaseUrl: proxy.url })
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
