import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { TokenPair } from '@latchkey/contracts'
import { createInProcessAccountEvents } from '@latchkey/account-events'
import { buildAuthApp } from '../../../src/app.js'
import { bearer, build, logIn, problemOf, register, registeredUser, strongPassword, uniqueEmail } from '../../helper.js'

t.test('admin routes', async t => {
  const adminEmail = uniqueEmail()
  const { app, buildReplica, config, sql, feed } = await build(t, { env: { BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap admin passphrase' } })
  const admin = await logIn(app, adminEmail, 'bootstrap admin passphrase')
  const asAdmin = bearer(admin.accessToken)

  t.test('the bootstrap admin is created once, idempotently, with the admin role', async t => {
    await buildReplica()
    const page = await app.inject({ method: 'GET', url: `/accounts?email=${encodeURIComponent(adminEmail.toUpperCase())}`, headers: asAdmin })
    t.equal(page.statusCode, 200)
    t.equal(page.json().items.length, 1)
    t.same(page.json().items[0].roles.sort(), ['admin', 'user'])
  })

  t.test('BOOTSTRAP_ADMIN_EMAIL naming an existing non-admin account stops the start, names the variable, never the password, and promotes no one (ASVS 6.3.2, 8.2.1)', async t => {
    const user = await registeredUser(app)
    const bootstrapPassword = 'a bootstrap password nobody may read'
    const taken = await buildAuthApp({ ...config, BOOTSTRAP_ADMIN_EMAIL: user.email.toUpperCase(), BOOTSTRAP_ADMIN_PASSWORD: bootstrapPassword },
      { sql, revocationFeed: feed, revocationPublisher: feed, accountEvents: createInProcessAccountEvents() }, { logger: false })
    t.teardown(() => taken.close())
    const error = await taken.ready().then(() => undefined, (cause: unknown) => cause)
    t.ok(error instanceof Error, 'the start fails')
    const message = error instanceof Error ? error.message : ''
    t.match(message, /BOOTSTRAP_ADMIN_EMAIL/)
    t.match(message, /latchkey-admin promote/, 'says how to promote it on purpose')
    t.notMatch(message, bootstrapPassword)
    t.notMatch(message, /BOOTSTRAP_ADMIN_PASSWORD=/)
    const me = await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(user.tokens.accessToken) })
    t.same(me.json().roles, ['user'], 'the account was not promoted')
    await logIn(app, user.email)
    const refused = await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: bootstrapPassword } })
    t.equal(refused.statusCode, 401, 'its password was not replaced')
  })

  t.test('a user gets 403 forbidden on every admin route (ASVS 8.2.1)', async t => {
    const user = await registeredUser(app)
    const headers = bearer(user.tokens.accessToken)
    for (const [method, url] of [['GET', '/accounts'], ['GET', `/accounts/${user.id}`], ['PATCH', `/accounts/${user.id}`], ['DELETE', `/accounts/${user.id}`]] as const) {
      const response = await app.inject({ method, url, headers, ...(method === 'PATCH' ? { payload: { roles: ['admin'] } } : {}) })
      t.equal(response.statusCode, 403, `${method} ${url}`)
      t.equal(problemOf(response).code, 'forbidden')
    }
    const me = await app.inject({ method: 'GET', url: '/accounts/me', headers })
    t.same(me.json().roles, ['user'], 'nothing changed')
  })

  t.test('lists accounts with cursor pagination', async t => {
    for (let i = 0; i < 3; i++) await register(app)
    const first = await app.inject({ method: 'GET', url: '/accounts?limit=2', headers: asAdmin })
    t.equal(first.statusCode, 200)
    t.equal(first.json().items.length, 2)
    t.type(first.json().nextCursor, 'string')
    const second = await app.inject({ method: 'GET', url: `/accounts?limit=2&cursor=${first.json().nextCursor as string}`, headers: asAdmin })
    t.equal(second.statusCode, 200)
    const items = [...first.json<{ items: Array<{ id: string }> }>().items, ...second.json<{ items: Array<{ id: string }> }>().items]
    t.equal(new Set(items.map(a => a.id)).size, items.length, 'no account twice')
    const bad = await app.inject({ method: 'GET', url: '/accounts?cursor=garbage', headers: asAdmin })
    t.equal(bad.statusCode, 400)
    const over = await app.inject({ method: 'GET', url: '/accounts?limit=101', headers: asAdmin })
    t.equal(over.statusCode, 400)
  })

  t.test('GET /accounts/{id} answers 404 for an unknown id and 400 for a non-UUID', async t => {
    t.equal((await app.inject({ method: 'GET', url: `/accounts/${randomUUID()}`, headers: asAdmin })).statusCode, 404)
    t.equal((await app.inject({ method: 'GET', url: '/accounts/123', headers: asAdmin })).statusCode, 400)
  })

  t.test('disabling revokes every session and blocks log in; enabling allows it again (ASVS 7.4.2)', async t => {
    const user = await registeredUser(app)
    const disabled = await app.inject({ method: 'PATCH', url: `/accounts/${user.id}`, headers: asAdmin, payload: { status: 'disabled' } })
    t.equal(disabled.statusCode, 200)
    t.equal(disabled.json().status, 'disabled')
    t.equal(problemOf(await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).code, 'token_revoked')
    t.equal((await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })).statusCode, 401)
    const login = await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })
    t.equal(problemOf(login).code, 'account_disabled')
    await app.inject({ method: 'PATCH', url: `/accounts/${user.id}`, headers: asAdmin, payload: { status: 'active' } })
    await logIn(app, user.email)
  })

  t.test('a change of roles kills current access tokens; the session lives and the next refresh carries the new roles (ASVS 8.3.2)', async t => {
    const user = await registeredUser(app)
    const promoted = await app.inject({ method: 'PATCH', url: `/accounts/${user.id}`, headers: asAdmin, payload: { roles: ['admin'] } })
    t.equal(promoted.statusCode, 200)
    t.same(promoted.json().roles.sort(), ['admin', 'user'], 'user is always kept')
    t.equal(problemOf(await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).code, 'token_revoked')
    const refreshed = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
    t.equal(refreshed.statusCode, 200)
    const verify = await app.inject({ method: 'GET', url: '/verify', headers: bearer(refreshed.json<TokenPair>().accessToken) })
    t.equal(verify.statusCode, 200)
    t.same(verify.json().roles.sort(), ['admin', 'user'])
  })

  t.test('refuses unknown properties and empty changes', async t => {
    const user = await register(app)
    const extra = await app.inject({ method: 'PATCH', url: `/accounts/${user.id}`, headers: asAdmin, payload: { email: 'x@y.z' } })
    t.equal(extra.statusCode, 400)
    const empty = await app.inject({ method: 'PATCH', url: `/accounts/${user.id}`, headers: asAdmin, payload: {} })
    t.equal(empty.statusCode, 400)
  })

  t.test('DELETE /accounts/{id} deletes as self-delete does, and 404 after', async t => {
    const user = await registeredUser(app)
    t.equal((await app.inject({ method: 'DELETE', url: `/accounts/${user.id}`, headers: asAdmin })).statusCode, 204)
    t.equal(problemOf(await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).code, 'token_revoked')
    t.equal((await app.inject({ method: 'DELETE', url: `/accounts/${user.id}`, headers: asAdmin })).statusCode, 404)
  })
})
