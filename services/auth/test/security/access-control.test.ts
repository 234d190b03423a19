/**
 * Broken object- and property-level authorization (IDOR/BOLA, BOPLA) and prototype pollution in
 * the auth service: user A cannot read, revoke or change anything of user B's, no body can set
 * roles, status, id or another account's email where the route does not allow it, and a
 * __proto__ / constructor.prototype body is refused without touching Object.prototype.
 */
import t, { type Test } from 'tap'
import { assertRefused } from '@latchkey/test-support'
import type { InjectOptions } from 'fastify'
import { bearer, build, logIn, problemOf, registeredUser, strongPassword, uniqueEmail } from '../helper.js'
import { attackEnv, snapshot } from './helper.js'

const adminPassword = 'bootstrap admin passphrase'

t.test('access control in the auth service', async t => {
  const adminEmail = uniqueEmail()
  const { app, sql } = await build(t, { env: { ...attackEnv, BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: adminPassword } })
  const admin = await logIn(app, adminEmail, adminPassword)
  const a = await registeredUser(app)
  const b = await registeredUser(app)
  const bSecond = await logIn(app, b.email)
  const asA = bearer(a.tokens.accessToken)

  async function refused (t: Test, request: InjectOptions, label: string, status: number, code?: string): Promise<void> {
    const before = await snapshot(sql)
    const response = await app.inject(request)
    assertRefused(t, response, label, status)
    if (code !== undefined) t.equal(problemOf(response).code, code, `${label}: ${code}`)
    t.equal(await snapshot(sql), before, `${label}: nothing changed`)
  }

  async function bStillWorks (t: Test): Promise<void> {
    for (const token of [b.tokens.accessToken, bSecond.accessToken]) {
      t.equal((await app.inject({ url: '/verify', headers: bearer(token) })).statusCode, 200, 'B\'s sessions still work')
    }
    const refreshed = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: bSecond.refreshToken } })
    t.equal(refreshed.statusCode, 200, 'B\'s refresh token still works')
    bSecond.refreshToken = refreshed.json<{ refreshToken: string }>().refreshToken
    const me = await app.inject({ url: '/accounts/me', headers: bearer(b.tokens.accessToken) })
    t.match(me.json(), { id: b.id, email: b.email, roles: ['user'], status: 'active' }, 'B\'s account is unchanged')
  }

  t.test('GET /sessions › lists only the caller\'s sessions, never B\'s (ASVS 8.2.2, 7.5.2)', async t => {
    const list = await app.inject({ url: '/sessions', headers: asA })
    t.equal(list.statusCode, 200)
    const ids = list.json<{ items: Array<{ id: string }> }>().items.map(item => item.id)
    t.same(ids, [a.tokens.sessionId])
    t.notOk(ids.includes(b.tokens.sessionId) || ids.includes(bSecond.sessionId))
  })

  t.test('DELETE /sessions/{id} › A revoking B\'s session gets 404 not_found and B stays logged in (ASVS 8.2.2)', async t => {
    for (const sessionId of [b.tokens.sessionId, bSecond.sessionId]) {
      await refused(t, { method: 'DELETE', url: `/sessions/${sessionId}`, headers: asA }, `DELETE B's session ${sessionId}`, 404, 'not_found')
      await refused(t, { method: 'DELETE', url: `/sessions/${sessionId.toUpperCase()}`, headers: asA }, 'the same id in upper case', 404, 'not_found')
    }
    await bStillWorks(t)
  })

  t.test('DELETE /sessions, DELETE /sessions/current › A logging out touches none of B\'s sessions (ASVS 8.2.2, 7.4.1)', async t => {
    const other = await registeredUser(app)
    t.equal((await app.inject({ method: 'DELETE', url: '/sessions', headers: bearer(other.tokens.accessToken) })).statusCode, 204)
    const third = await registeredUser(app)
    t.equal((await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(third.tokens.accessToken) })).statusCode, 204)
    await bStillWorks(t)
  })

  t.test('GET/PATCH/DELETE /accounts/{id} › A gets 403 forbidden on B\'s account and nothing changes (ASVS 8.2.1, 8.2.2)', async t => {
    await refused(t, { method: 'GET', url: `/accounts/${b.id}`, headers: asA }, 'GET B', 403, 'forbidden')
    await refused(t, { method: 'PATCH', url: `/accounts/${b.id}`, headers: asA, payload: { status: 'disabled' } }, 'disable B', 403, 'forbidden')
    await refused(t, { method: 'PATCH', url: `/accounts/${a.id}`, headers: asA, payload: { roles: ['admin'] } }, 'A makes itself admin', 403, 'forbidden')
    await refused(t, { method: 'DELETE', url: `/accounts/${b.id}`, headers: asA }, 'delete B', 403, 'forbidden')
    await refused(t, { method: 'GET', url: `/accounts?email=${encodeURIComponent(b.email)}`, headers: asA }, 'look B up by email', 403, 'forbidden')
    await bStillWorks(t)
  })

  t.test('PATCH /accounts/me › A cannot take B\'s email, in any case or spacing (ASVS 8.2.2, 6.3.8)', async t => {
    for (const email of [b.email, b.email.toUpperCase(), `  ${b.email} `]) {
      await refused(t, { method: 'PATCH', url: '/accounts/me', headers: asA, payload: { email, currentPassword: strongPassword } }, `email ${JSON.stringify(email)}`, 409, 'email_taken')
    }
    await bStillWorks(t)
  })

  t.test('POST /accounts › roles, status, id or any unknown field is 400 and registers nothing (ASVS 15.3.3, 8.2.3)', async t => {
    const extras: Array<Record<string, unknown>> = [
      { roles: ['admin'] }, { roles: ['user', 'admin'] }, { role: 'admin' }, { status: 'active' }, { id: b.id },
      { isAdmin: true }, { emailVerified: true }, { passwordHash: 'x' }, { tokenVersion: 0 }, { createdAt: '2000-01-01T00:00:00Z' }
    ]
    for (const extra of extras) {
      await refused(t, { method: 'POST', url: '/accounts', payload: { email: uniqueEmail(), password: strongPassword, name: 'Mallory', ...extra } }, `register with ${JSON.stringify(extra)}`, 400, 'validation_failed')
    }
  })

  t.test('PATCH /accounts/me, PUT /accounts/me/password, DELETE /accounts/me › roles, status, id or another account\'s id are 400 and change nothing (ASVS 15.3.3, 8.2.3)', async t => {
    for (const extra of [{ roles: ['admin'] }, { status: 'disabled' }, { id: b.id }, { accountId: b.id }, { sub: b.id }]) {
      await refused(t, { method: 'PATCH', url: '/accounts/me', headers: asA, payload: { email: uniqueEmail(), currentPassword: strongPassword, ...extra } }, `PATCH /accounts/me with ${JSON.stringify(extra)}`, 400, 'validation_failed')
      await refused(t, { method: 'PUT', url: '/accounts/me/password', headers: asA, payload: { currentPassword: strongPassword, newPassword: 'another long passphrase', ...extra } }, `PUT password with ${JSON.stringify(extra)}`, 400, 'validation_failed')
      await refused(t, { method: 'DELETE', url: '/accounts/me', headers: asA, payload: { password: strongPassword, ...extra } }, `DELETE /accounts/me with ${JSON.stringify(extra)}`, 400, 'validation_failed')
    }
    await refused(t, { method: 'PATCH', url: '/accounts/me', headers: asA, payload: { roles: ['admin'] } }, 'PATCH /accounts/me with roles only', 400, 'validation_failed')
    t.match((await app.inject({ url: '/accounts/me', headers: asA })).json(), { id: a.id, email: a.email, roles: ['user'], status: 'active' }, 'A is unchanged')
    await bStillWorks(t)
  })

  t.test('PATCH /accounts/{id} › even an admin cannot set email, id, password or any field other than status and roles (ASVS 15.3.3, 8.2.3)', async t => {
    const headers = bearer(admin.accessToken)
    for (const extra of [{ email: uniqueEmail() }, { id: a.id }, { password: 'a new long passphrase' }, { passwordHash: 'x' }, { status: 'active', email: uniqueEmail() }, {}]) {
      await refused(t, { method: 'PATCH', url: `/accounts/${b.id}`, headers, payload: extra }, `admin PATCH with ${JSON.stringify(extra)}`, 400, 'validation_failed')
    }
    await bStillWorks(t)
  })

  t.test('POST /accounts, POST /sessions, PATCH /accounts/{id} › __proto__ and constructor.prototype bodies are 400 and Object.prototype stays clean (ASVS 15.3.6)', async t => {
    const email = uniqueEmail()
    const register = (extra: string): string => `{"email":${JSON.stringify(email)},"password":${JSON.stringify(strongPassword)},"name":"Proto",${extra}}`
    const bodies: Array<[string, string, string, Record<string, string>]> = [
      ['POST', '/accounts', register('"__proto__":{"roles":["admin"],"polluted":"yes"}'), {}],
      ['POST', '/accounts', register('"constructor":{"prototype":{"roles":["admin"],"polluted":"yes"}}'), {}],
      ['POST', '/accounts', `{"__proto__":{"polluted":"yes"},"email":${JSON.stringify(email)},"password":${JSON.stringify(strongPassword)},"name":"Proto"}`, {}],
      ['POST', '/sessions', `{"email":${JSON.stringify(a.email)},"password":${JSON.stringify(strongPassword)},"__proto__":{"polluted":"yes"}}`, {}],
      ['PATCH', `/accounts/${b.id}`, '{"status":"active","__proto__":{"roles":["admin"],"polluted":"yes"}}', bearer(admin.accessToken)],
      ['PATCH', `/accounts/${b.id}`, '{"constructor":{"prototype":{"polluted":"yes"}},"status":"active"}', bearer(admin.accessToken)],
      ['PATCH', '/accounts/me', `{"email":${JSON.stringify(uniqueEmail())},"currentPassword":${JSON.stringify(strongPassword)},"__proto__":{"polluted":"yes"}}`, asA]
    ]
    for (const [method, url, payload, headers] of bodies) {
      await refused(t, { method, url, payload, headers: { ...headers, 'content-type': 'application/json' } }, `${method} ${url.replace(b.id, '{B}')} ${payload.slice(0, 60)}`, 400)
      t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype.polluted is undefined')
      t.equal(({} as Record<string, unknown>).roles, undefined, 'Object.prototype.roles is undefined')
    }
    const [registered] = await sql`SELECT 1 FROM accounts WHERE email_normalized = ${email}`
    t.equal(registered, undefined, 'no account was registered')
    await bStillWorks(t)
  })
})
