/**
 * Property-based fuzzing (fast-check) of every request body and query string of the auth
 * service: whatever arrives, the answer is never a 5xx, a 4xx is RFC 9457 problem+json, a 4xx
 * changes no row, and no body pollutes Object.prototype (ASVS 2.2.1, 15.3.5, 15.3.6, 16.5.1).
 */
import t, { type Test } from 'tap'
import { edgyString, hostileBody, hostileCursor, hostileQuery, hostileString, percentEncode } from '@latchkey/test-support'
import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { bearer, build, logIn, register, registeredUser, strongPassword, uniqueEmail } from '../helper.js'
import { attackEnv, snapshot } from './helper.js'

const NUM_RUNS = 120
const adminPassword = 'bootstrap admin passphrase'

t.test('fuzzing the auth service', async t => {
  const adminEmail = uniqueEmail()
  const { app, sql } = await build(t, { env: { ...attackEnv, BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: adminPassword } })
  const admin = await logIn(app, adminEmail, adminPassword)
  const victim = await registeredUser(app)
  const deleter = await registeredUser(app)
  const target = await register(app)

  const email = fc.oneof(
    fc.constant(victim.email),
    fc.constant(victim.email.toUpperCase()),
    fc.tuple(fc.oneof(hostileString, edgyString()), fc.oneof(hostileString, edgyString())).map(([local, domain]) => `${local.replace(/[\s@]/g, '') || 'x'}@${domain.replace(/[\s@]/g, '') || 'y'}`),
    fc.emailAddress()
  )
  const password = fc.oneof(fc.string({ minLength: 12, maxLength: 64 }), fc.string({ unit: 'binary', minLength: 12, maxLength: 40 }), fc.constant('short'))
  const name = fc.oneof(fc.string({ minLength: 1, maxLength: 100 }), edgyString({ minLength: 1, maxLength: 100 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 100 }), fc.constant('   '))
  const roles = fc.array(fc.oneof(fc.constantFrom('user', 'admin', 'Admin', 'root'), fc.string({ maxLength: 40 })), { maxLength: 20 })

  /** The property every request must hold; throws (for fast-check to shrink) when it does not. */
  async function holds (request: InjectOptions): Promise<void> {
    const before = await snapshot(sql)
    const response: LightMyRequestResponse = await app.inject(request)
    if (response.statusCode >= 500) throw new Error(`${response.statusCode}: ${response.body.slice(0, 300)}`)
    if (({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype was polluted')
    if (response.statusCode >= 400) {
      if (!/^application\/problem\+json/.test(String(response.headers['content-type']))) throw new Error(`${response.statusCode} is not problem+json`)
      const problem = response.json<{ code?: unknown, status?: unknown }>()
      if (typeof problem.code !== 'string' || problem.status !== response.statusCode) throw new Error(`malformed problem: ${response.body.slice(0, 300)}`)
      if (await snapshot(sql) !== before) throw new Error(`a ${response.statusCode} ${problem.code} changed rows`)
    }
  }

  async function fuzz<T> (t: Test, arbitrary: fc.Arbitrary<T>, request: (value: T) => InjectOptions): Promise<void> {
    const details = await fc.check(fc.asyncProperty(arbitrary, async value => { await holds(request(value)) }), { numRuns: NUM_RUNS })
    if (details.failed) {
      t.fail(`${String(details.errorInstance)} (seed ${details.seed}, shrunk ${details.numShrinks} times)`, { counterexample: JSON.stringify(details.counterexample).slice(0, 2000) })
    } else {
      t.pass(`${details.numRuns} runs`)
    }
  }

  const json = (method: NonNullable<InjectOptions['method']>, url: string, token?: string) => (body: string): InjectOptions => ({
    method, url, payload: body, headers: { 'content-type': 'application/json', ...(token === undefined ? {} : bearer(token)) }
  })

  t.test('POST /accounts › never answers 5xx and a 4xx registers nothing, whatever the body (ASVS 2.2.1, 16.5.1)', async t => {
    await fuzz(t, hostileBody({ email, password, name }), json('POST', '/accounts'))
  })

  t.test('POST /accounts › refuses every other content type with 4xx and registers nothing (ASVS 4.1.1)', async t => {
    const contentType = fc.oneof(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', 'application/merge-patch+json', 'application/jsonx', ''), fc.string({ maxLength: 40 }))
    const body = fc.constant(JSON.stringify({ email: uniqueEmail(), password: strongPassword, name: 'Form' }))
    await fuzz(t, fc.tuple(contentType, body), ([type, payload]) => ({ method: 'POST', url: '/accounts', payload, headers: { 'content-type': type } }))
  })

  t.test('POST /sessions › never answers 5xx and a refused log in creates no session (ASVS 2.2.1, 6.3.1)', async t => {
    await fuzz(t, hostileBody({ email, password: fc.oneof(password, fc.constant(strongPassword.toUpperCase())) }), json('POST', '/sessions'))
  })

  t.test('POST /sessions/refresh › never answers 5xx and a refused refresh rotates nothing (ASVS 2.2.1, 10.4.5)', async t => {
    const refreshToken = fc.oneof(fc.base64String(), fc.string({ minLength: 1, maxLength: 512 }), fc.constant(`${victim.tokens.refreshToken}x`), fc.constant(victim.tokens.refreshToken.slice(0, -1)))
    await fuzz(t, hostileBody({ refreshToken }), json('POST', '/sessions/refresh'))
  })

  t.test('PATCH /accounts/me › never answers 5xx and a 4xx changes no email (ASVS 2.2.1, 7.5.1)', async t => {
    await fuzz(t, hostileBody({ email, currentPassword: fc.oneof(password, fc.constant(strongPassword)) }), json('PATCH', '/accounts/me', victim.tokens.accessToken))
  })

  t.test('PUT /accounts/me/password › never answers 5xx and a 4xx changes no password and revokes nothing (ASVS 2.2.1, 6.2.3)', async t => {
    await fuzz(t, hostileBody({ currentPassword: password, newPassword: password }), json('PUT', '/accounts/me/password', victim.tokens.accessToken))
  })

  t.test('DELETE /accounts/me › never answers 5xx and a 4xx deletes nothing (ASVS 2.2.1, 7.5.3)', async t => {
    await fuzz(t, hostileBody({ password }), json('DELETE', '/accounts/me', deleter.tokens.accessToken))
    t.equal((await app.inject({ url: '/accounts/me', headers: bearer(deleter.tokens.accessToken) })).statusCode, 200, 'the account is still there')
  })

  t.test('GET /accounts?… › never answers 5xx to any query string, admin or not (ASVS 2.2.1, 15.3.7)', async t => {
    const query = hostileQuery({ limit: fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.constant('1e2'), fc.constant('0x10')), cursor: hostileCursor, email })
    await fuzz(t, fc.tuple(query, fc.boolean()), ([text, asAdmin]) => ({ method: 'GET', url: `/accounts?${text}`, headers: bearer(asAdmin ? admin.accessToken : victim.tokens.accessToken) }))
  })

  t.test('PATCH /accounts/{id} › never answers 5xx and a 4xx changes no status or roles (ASVS 2.2.1, 8.2.3)', async t => {
    const status = fc.constantFrom('active', 'disabled', 'Disabled', 'deleted', 'admin')
    await fuzz(t, hostileBody({ status, roles }), json('PATCH', `/accounts/${target.id}`, admin.accessToken))
  })

  t.test('GET /accounts/{id}, DELETE /sessions/{id} › never answer 5xx to arbitrary path strings (ASVS 2.2.1)', async t => {
    const segment = fc.oneof(hostileString.map(percentEncode), fc.constantFrom('..', '%2e%2e', '..%2f..%2fverify', '%00', 'me', `${target.id}%00`, `${target.id}/`, target.id.toUpperCase(), '00000000-0000-0000-0000-000000000000', `{${target.id}}`))
    await fuzz(t, fc.tuple(segment, fc.boolean()), ([path, accounts]) => accounts
      ? { method: 'GET', url: `/accounts/${path}`, headers: bearer(admin.accessToken) }
      : { method: 'DELETE', url: `/sessions/${path}`, headers: bearer(victim.tokens.accessToken) })
  })
})
