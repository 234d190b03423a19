import t from 'tap'
import { Writable } from 'node:stream'
import { createInProcessAccountEvents } from '@latchkey/account-events'
import { buildUsersApp, loadUsersConfig } from '../src/index.js'
import { bearer, build } from './helper.js'

const BARE = 'Bearer realm="latchkey"'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const world = await build(t, { env: { TRUST_PROXY: '10.0.0.0/8' } })
const { app } = world

t.test('WWW-Authenticate › every 401 of the users service carries a Bearer challenge (RFC 9110 §11.6.1, RFC 6750 §3)', async t => {
  const missing = await app.inject({ method: 'GET', url: '/users/me' })
  t.equal(missing.statusCode, 401)
  t.equal(missing.headers['www-authenticate'], BARE, 'no token: no error attribute (RFC 6750 §3.1)')

  const { token } = await world.account()
  const forged = await app.inject({ method: 'GET', url: '/users/me', headers: bearer(`${token}x`) })
  t.equal(forged.statusCode, 401)
  t.equal(forged.headers['www-authenticate'], `${BARE}, error="invalid_token", error_description="The access token is not valid"`)

  const expired = await app.inject({ method: 'GET', url: '/users/me', headers: bearer(await world.token({ expiresIn: Math.floor(Date.now() / 1000) - 60 })) })
  t.equal(expired.statusCode, 401)
  t.equal(expired.headers['www-authenticate'], `${BARE}, error="invalid_token", error_description="The access token has expired"`)
})

t.test('405 › a known users path asked with another method answers 405 problem+json with Allow', async t => {
  const cases = [
    { method: 'DELETE' as const, url: '/users/me', allow: 'GET, HEAD, PATCH, PUT' },
    { method: 'POST' as const, url: '/users', allow: 'GET, HEAD' },
    { method: 'PUT' as const, url: '/health/live', allow: 'GET, HEAD' }
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
  const trusted = await app.inject({ method: 'GET', url: '/health/live', remoteAddress: '10.9.8.7', headers: { 'x-request-id': 'gw-43' } })
  t.equal(trusted.headers['x-request-id'], 'gw-43')
  const untrusted = await app.inject({ method: 'GET', url: '/health/live', remoteAddress: '198.51.100.4', headers: { 'x-request-id': 'gw-43' } })
  t.match(untrusted.headers['x-request-id'], UUID, 'anyone else gets a generated id')
  t.equal(loadUsersConfig({}).TRUST_PROXY, undefined, 'without TRUST_PROXY no peer is trusted')
})

t.test('logs › every line names the users service and carries the adopted request id', async t => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  const logged = await buildUsersApp({ ...world.config, TRUST_PROXY: '127.0.0.1' }, {
    sql: world.sql, revocationFeed: world.feed, keySource: world.keySource, accountEvents: createInProcessAccountEvents()
  }, { logger: { level: 'info', stream } })
  t.teardown(async () => { await logged.close() })
  await logged.ready()
  await logged.inject({ method: 'GET', url: '/users/me', headers: { 'x-request-id': 'trace-users-1' } })
  t.ok(lines.filter(line => line.reqId === 'trace-users-1').length >= 2, 'the request and its answer were logged under the adopted id')
  for (const line of lines) t.equal(line.service, 'users', `"${String(line.msg)}" names its service`)
})
