/**
 * Classic SQL-injection strings in every string field of every auth body and query: never a
 * 5xx, never a statement with the payload's pg_sleep in its text, never a row changed by a
 * refused request, never an account matched that should not be; and where the string is a valid value it is kept verbatim
 * (ASVS 1.2.4, 2.2.1, 6.2.8).
 */
import t, { type Test } from 'tap'
import { assertRefused, sqlInjectionPayloads, statementsDuring } from '@latchkey/test-support'
import { randomUUID } from 'node:crypto'
import type { InjectOptions } from 'fastify'
import type { AccountEvent } from '@latchkey/contracts'
import { bearer, build, logIn, problemOf, registeredUser, uniqueEmail } from '../helper.js'
import { attackEnv, snapshot } from './helper.js'

const adminPassword = 'bootstrap admin passphrase'

t.test('SQL injection in the auth service', async t => {
  const adminEmail = uniqueEmail()
  const { app, sql, publishedEvents } = await build(t, { env: { ...attackEnv, BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: adminPassword } })
  const admin = await logIn(app, adminEmail, adminPassword)
  const victim = await registeredUser(app)
  const other = await registeredUser(app)

  /** Sends the request, and asserts a 4xx problem, a quick answer and no row changed. */
  async function refused (t: Test, request: InjectOptions, label: string, status?: number): Promise<string> {
    const before = await snapshot(sql)
    const { result: response, statements } = await statementsDuring(sql, async () => await app.inject(request))
    t.same(statements, [], `${label}: no statement ran with pg_sleep in its text (the payload stayed a parameter)`)
    assertRefused(t, response, label, status)
    t.equal(await snapshot(sql), before, `${label}: nothing changed`)
    return problemOf(response).code
  }

  t.test('POST /sessions › an injected email or password logs no one in (ASVS 1.2.4, 6.3.1)', async t => {
    for (const payload of sqlInjectionPayloads) {
      for (const body of [
        { email: payload, password: payload },
        { email: victim.email, password: payload },
        { email: `${victim.email}${payload}`, password: payload },
        { email: `${payload.replace(/[\s@]/g, '')}@example.test`, password: `${payload}${payload}` }
      ]) {
        const code = await refused(t, { method: 'POST', url: '/sessions', payload: body }, `POST /sessions ${JSON.stringify(body)}`)
        t.ok(['invalid_credentials', 'validation_failed'].includes(code), `code ${code}`)
      }
    }
  })

  t.test('POST /sessions/refresh › an injected refresh token rotates nothing (ASVS 1.2.4)', async t => {
    for (const payload of sqlInjectionPayloads) {
      await refused(t, { method: 'POST', url: '/sessions/refresh', payload: { refreshToken: payload } }, `refresh ${payload}`, 401)
    }
    t.equal((await app.inject({ url: '/verify', headers: bearer(victim.tokens.accessToken) })).statusCode, 200, 'the victim still works')
  })

  t.test('PATCH /accounts/me, PUT /accounts/me/password, DELETE /accounts/me › injected passwords and emails change nothing (ASVS 1.2.4, 7.5.1)', async t => {
    const headers = bearer(victim.tokens.accessToken)
    for (const payload of sqlInjectionPayloads) {
      await refused(t, { method: 'PATCH', url: '/accounts/me', headers, payload: { email: payload, currentPassword: payload } }, `PATCH email ${payload}`)
      await refused(t, { method: 'PATCH', url: '/accounts/me', headers, payload: { email: other.email, currentPassword: payload } }, `PATCH email to another account's, password ${payload}`)
      await refused(t, { method: 'PUT', url: '/accounts/me/password', headers, payload: { currentPassword: payload, newPassword: `${payload} long enough` } }, `PUT password ${payload}`, 403)
      await refused(t, { method: 'DELETE', url: '/accounts/me', headers, payload: { password: payload } }, `DELETE ${payload}`, 403)
      await refused(t, { method: 'DELETE', url: `/sessions/${encodeURIComponent(payload)}`, headers }, `DELETE /sessions/${payload}`, 400)
    }
    const me = await app.inject({ url: '/accounts/me', headers })
    t.equal(me.json<{ email: string }>().email, victim.email, 'the email is unchanged')
  })

  t.test('GET /accounts?… › an injected email filter matches no account and injected cursors and limits are 400 (ASVS 1.2.4, 15.3.7)', async t => {
    const headers = bearer(admin.accessToken)
    for (const payload of sqlInjectionPayloads) {
      const page = await app.inject({ url: `/accounts?email=${encodeURIComponent(payload)}`, headers })
      t.equal(page.statusCode, 200, `email=${payload}`)
      t.same(page.json<{ items: unknown[] }>().items, [], `email=${payload}: no account matched`)
      await refused(t, { url: `/accounts?cursor=${encodeURIComponent(payload)}`, headers }, `cursor=${payload}`, 400)
      const cursor = Buffer.from(JSON.stringify([payload, randomUUID()])).toString('base64url')
      await refused(t, { url: `/accounts?cursor=${cursor}`, headers }, `cursor carrying ${payload}`, 400)
      await refused(t, { url: `/accounts?limit=${encodeURIComponent(payload)}`, headers }, `limit=${payload}`, 400)
      await refused(t, { url: `/accounts/${encodeURIComponent(payload)}`, headers }, `GET /accounts/${payload}`, 400)
      const exact = await app.inject({ url: `/accounts?email=${encodeURIComponent(`${victim.email}${payload}`)}`, headers })
      t.same(exact.json<{ items: unknown[] }>().items, [], `email=victim${payload}: no account matched`)
    }
  })

  t.test('PATCH /accounts/{id} › injected roles and status are 400 and change nothing (ASVS 1.2.4, 8.2.3)', async t => {
    const headers = bearer(admin.accessToken)
    for (const payload of sqlInjectionPayloads) {
      await refused(t, { method: 'PATCH', url: `/accounts/${victim.id}`, headers, payload: { roles: [payload] } }, `roles [${payload}]`, 400)
      await refused(t, { method: 'PATCH', url: `/accounts/${victim.id}`, headers, payload: { status: payload } }, `status ${payload}`, 400)
    }
  })

  t.test('POST /accounts › an injection string that is a valid name, password or email local part is stored verbatim (ASVS 1.2.4, 6.2.8)', async t => {
    for (const payload of sqlInjectionPayloads) {
      const local = `${payload.replace(/[\s@]/g, '')}.${randomUUID().slice(0, 8)}`
      const email = `${local}@example.test`
      const password = `${payload} ${randomUUID()}`
      const name = payload.slice(0, 100)
      const created = await app.inject({ method: 'POST', url: '/accounts', payload: { email, password, name } })
      t.equal(created.statusCode, 201, `register ${payload}`, { body: created.body })
      if (created.statusCode !== 201) continue
      const id = created.json<{ id: string, email: string }>().id
      t.equal(created.json<{ email: string }>().email, email, 'the email is kept as sent')
      const [row] = await sql<Array<{ email: string, emailNormalized: string }>>`SELECT email, email_normalized FROM accounts WHERE id = ${id}`
      t.same(row, { email, emailNormalized: email.toLowerCase() }, 'stored verbatim')
      const deadline = Date.now() + 5_000
      const delivered = (): AccountEvent | undefined => publishedEvents.find(event => event.type === 'account.created' && event.data.id === id)
      while (delivered() === undefined && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
      const event = delivered()
      t.equal(event?.type === 'account.created' ? event.data.name : undefined, name.trim(), 'the name handed to the users service is verbatim')
      const session = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password } })
      t.equal(session.statusCode, 201, 'the password works exactly as sent')
      const upper = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: password.toUpperCase() } })
      t.equal(upper.statusCode, password.toUpperCase() === password ? 201 : 401, 'and only exactly as sent')
    }
  })
})
