import t from 'tap'
import { Writable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { closePostgres, migrationsDirectoryOf, openServiceDatabase } from '@latchkey/postgres-kit'
import { createInProcessRevocationStore } from '@latchkey/revocation-publisher'
import { createInProcessAccountEvents } from '@latchkey/account-events'
import { testDatabaseFor } from '@latchkey/test-support'
import { buildAuthApp, logRedaction } from '../src/app.js'
import { loadAuthConfig } from '../src/config.js'
import { bearer, build, registeredUser } from './helper.js'

const BARE = 'Bearer realm="latchkey"'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('WWW-Authenticate › every 401 of the auth service carries a Bearer challenge (RFC 9110 §11.6.1, RFC 6750 §3)', async t => {
  const { app } = await build(t)
  const user = await registeredUser(app)

  const login = await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: 'a wrong password here' } })
  t.equal(login.statusCode, 401)
  t.equal(login.headers['www-authenticate'], BARE, 'log in presented no token: the bare challenge')

  const refresh = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: 'not-a-refresh-token-at-all-000000000000' } })
  t.equal(refresh.statusCode, 401)
  t.equal(refresh.headers['www-authenticate'], `${BARE}, error="invalid_token", error_description="The refresh token is not valid or has expired"`)

  const missing = await app.inject({ method: 'GET', url: '/accounts/me' })
  t.equal(missing.statusCode, 401)
  t.equal(missing.headers['www-authenticate'], BARE, 'no token: no error attribute (RFC 6750 §3.1)')

  const forged = await app.inject({ method: 'GET', url: '/verify', headers: bearer(`${user.tokens.accessToken}x`) })
  t.equal(forged.statusCode, 401)
  t.equal(forged.headers['www-authenticate'], `${BARE}, error="invalid_token", error_description="The access token is not valid"`)

  const logout = await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(`${user.tokens.accessToken}x`) })
  t.equal(logout.statusCode, 401)
  t.equal(logout.headers['www-authenticate'], `${BARE}, error="invalid_token", error_description="The access token is not valid"`)
})

t.test('WWW-Authenticate › a reused refresh token names the reuse in the challenge', async t => {
  const { app } = await build(t, { env: { REFRESH_REUSE_GRACE: '0' } })
  const user = await registeredUser(app)
  const first = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
  t.equal(first.statusCode, 200)
  const reuse = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
  t.equal(reuse.statusCode, 401)
  t.equal(reuse.json().code, 'refresh_token_reused')
  t.equal(reuse.headers['www-authenticate'], `${BARE}, error="invalid_token", error_description="The refresh token was already used"`)
})

t.test('405 › a known auth path asked with another method answers 405 problem+json with Allow', async t => {
  const { app } = await build(t)
  const cases = [
    { method: 'POST' as const, url: '/verify', allow: 'GET, HEAD' },
    // DELETE /sessions/:id matches this path too, so DELETE is allowed here.
    { method: 'PUT' as const, url: '/sessions/refresh', allow: 'DELETE, POST' },
    { method: 'POST' as const, url: '/health/ready', allow: 'GET, HEAD' },
    { method: 'PUT' as const, url: '/sessions', allow: 'DELETE, GET, HEAD, POST' },
    { method: 'POST' as const, url: '/accounts/9b2f0c6e-54a4-4bd0-9d38-6f1c1a3e2b11', allow: 'DELETE, GET, HEAD, PATCH' },
    { method: 'DELETE' as const, url: '/.well-known/jwks.json', allow: 'GET, HEAD' }
  ]
  for (const { method, url, allow } of cases) {
    const response = await app.inject({ method, url })
    t.equal(response.statusCode, 405, `${method} ${url}`)
    t.equal(response.headers.allow, allow)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    t.equal(response.json().code, 'method_not_allowed')
  }
  const unknown = await app.inject({ method: 'GET', url: '/no/such/path' })
  t.equal(unknown.statusCode, 404, 'an unknown path is still a 404')
})

t.test('request id › adopted from X-Request-Id only when the peer is in TRUST_PROXY, and echoed', async t => {
  const { app } = await build(t, { env: { TRUST_PROXY: '10.0.0.0/8' } })
  const trusted = await app.inject({ method: 'GET', url: '/health/live', remoteAddress: '10.0.0.5', headers: { 'x-request-id': 'gw-42' } })
  t.equal(trusted.headers['x-request-id'], 'gw-42')
  const untrusted = await app.inject({ method: 'GET', url: '/health/live', remoteAddress: '198.51.100.4', headers: { 'x-request-id': 'gw-42' } })
  t.match(untrusted.headers['x-request-id'], UUID, 'anyone else gets a generated id')
  const { app: noProxy } = await build(t)
  const loopback = await noProxy.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'gw-42' } })
  t.match(loopback.headers['x-request-id'], UUID, 'without TRUST_PROXY no peer is trusted')
})

t.test('logs › every line names the auth service and carries the adopted request id', async t => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  const schema = `auth_t_${randomBytes(5).toString('hex')}`
  const database = await testDatabaseFor(schema)
  const { sql } = await openServiceDatabase({ url: database.url, migrationUrl: database.migrationUrl, schema, poolMode: database.poolMode, migrations: migrationsDirectoryOf(import.meta.url), max: 3 })
  const feed = createInProcessRevocationStore()
  const config = loadAuthConfig({ ...database.env, AUTH_DATABASE_SCHEMA: schema, AUTH_ISSUER: 'http://auth.test', TRUST_PROXY: '127.0.0.1', SECRETS_KEY: randomBytes(32).toString('base64') })
  const app = await buildAuthApp(config, { sql, revocationFeed: feed, revocationPublisher: feed, accountEvents: createInProcessAccountEvents() }, {
    logger: { level: 'info', stream, redact: { paths: logRedaction, censor: '[redacted]' } }
  })
  t.teardown(async () => {
    await app.close()
    await feed.close()
    await sql`DROP SCHEMA ${sql(schema)} CASCADE`
    await closePostgres(sql)
    await database.release()
  })
  await app.ready()
  await app.inject({ method: 'GET', url: '/verify', headers: { 'x-request-id': 'trace-auth-1' } })
  const requestLines = lines.filter(line => line.reqId === 'trace-auth-1')
  t.ok(requestLines.length >= 2, 'the request and its answer were logged under the adopted id')
  t.ok(lines.length > 0)
  for (const line of lines) t.equal(line.service, 'auth', `"${String(line.msg)}" names its service`)
})
