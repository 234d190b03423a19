/**
 * Inputs that are valid JSON or a valid URL but not valid PostgreSQL text or a valid id: NUL
 * bytes, lone UTF-16 surrogates, cursors only V8's lenient date parser accepts, over-long path
 * ids. Each must be a 4xx problem that changes nothing, never a 500 or a framework-shaped error
 * (ASVS 2.2.1, 16.5.1, RFC 9457).
 */
import t, { type Test } from 'tap'
import { assertRefused } from '@latchkey/test-support'
import { randomUUID } from 'node:crypto'
import type { InjectOptions } from 'fastify'
import { bearer, build, logIn, problemOf, registeredUser, strongPassword, uniqueEmail } from '../helper.js'
import { attackEnv, snapshot } from './helper.js'

const adminPassword = 'bootstrap admin passphrase'

t.test('input encodings in the auth service', async t => {
  const adminEmail = uniqueEmail()
  const { app, sql } = await build(t, { env: { ...attackEnv, BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: adminPassword } })
  const admin = await logIn(app, adminEmail, adminPassword)
  const victim = await registeredUser(app)

  async function refused (t: Test, request: InjectOptions, label: string, status?: number): Promise<void> {
    const before = await snapshot(sql)
    const response = await app.inject(request)
    assertRefused(t, response, label, status)
    t.equal(await snapshot(sql), before, `${label}: nothing changed`)
  }

  const nul = 'a\u0000b'
  const surrogate = 'a\ud800b'

  t.test('POST /accounts › answers 400, not 500, to a NUL byte in the email or the name, and registers nothing (ASVS 2.2.1, 16.5.1)', async t => {
    await refused(t, { method: 'POST', url: '/accounts', payload: { email: `${nul}@example.test`, password: strongPassword, name: 'Nul' } }, 'NUL in email', 400)
    await refused(t, { method: 'POST', url: '/accounts', payload: { email: uniqueEmail(), password: strongPassword, name: nul } }, 'NUL in name', 400)
  })

  t.test('POST /accounts › answers 400, not 500, to a lone surrogate in the email or the name, and registers nothing (ASVS 2.2.1, 16.5.1)', async t => {
    await refused(t, { method: 'POST', url: '/accounts', payload: { email: `${surrogate}@example.test`, password: strongPassword, name: 'Surrogate' } }, 'lone surrogate in email', 400)
    await refused(t, { method: 'POST', url: '/accounts', payload: { email: uniqueEmail(), password: strongPassword, name: surrogate } }, 'lone surrogate in name', 400)
  })

  t.test('POST /sessions › answers a 4xx, not 500, to a NUL byte or a lone surrogate in the email (ASVS 2.2.1, 16.5.1)', async t => {
    await refused(t, { method: 'POST', url: '/sessions', payload: { email: `${nul}@example.test`, password: strongPassword } }, 'NUL in email')
    await refused(t, { method: 'POST', url: '/sessions', payload: { email: `${surrogate}@example.test`, password: strongPassword } }, 'lone surrogate in email')
  })

  t.test('PATCH /accounts/me › answers 400, not 500, to a NUL byte or a lone surrogate in the new email, and keeps the old one (ASVS 2.2.1, 16.5.1)', async t => {
    const headers = bearer(victim.tokens.accessToken)
    await refused(t, { method: 'PATCH', url: '/accounts/me', headers, payload: { email: `${nul}@example.test`, currentPassword: strongPassword } }, 'NUL in email', 400)
    await refused(t, { method: 'PATCH', url: '/accounts/me', headers, payload: { email: `${surrogate}@example.test`, currentPassword: strongPassword } }, 'lone surrogate in email', 400)
    t.equal((await app.inject({ url: '/accounts/me', headers })).json<{ email: string }>().email, victim.email)
  })

  t.test('GET /accounts?email= › answers 400 or an empty page, not 500, to a NUL byte (ASVS 2.2.1, 16.5.1)', async t => {
    const response = await app.inject({ url: '/accounts?email=a%00b%40example.test', headers: bearer(admin.accessToken) })
    t.ok(response.statusCode === 400 || (response.statusCode === 200 && response.json<{ items: unknown[] }>().items.length === 0), 'a 400 or an empty page', { statusCode: response.statusCode, body: response.body })
    if (response.statusCode >= 400) assertRefused(t, response, 'NUL in email filter', 400)
  })

  t.test('GET /accounts?cursor= › answers 400, not 500, to a cursor whose position V8 parses as a date but PostgreSQL does not (ASVS 2.2.1, 16.5.1)', async t => {
    for (const position of ['1', "' OR '1'='1", 'x 1', 'May 1', '2020-13-45']) {
      const cursor = Buffer.from(JSON.stringify([position, randomUUID()])).toString('base64url')
      await refused(t, { url: `/accounts?cursor=${cursor}`, headers: bearer(admin.accessToken) }, `cursor position ${JSON.stringify(position)}`, 400)
    }
  })

  t.test('GET /accounts/{id}, DELETE /sessions/{id} › answer 400 validation_failed problem+json to an over-long id, without echoing it (RFC 9457)', async t => {
    const long = 'x'.repeat(150)
    for (const request of [
      { method: 'GET' as const, url: `/accounts/${long}`, headers: bearer(admin.accessToken) },
      { method: 'DELETE' as const, url: `/sessions/${long}`, headers: bearer(victim.tokens.accessToken) },
      { method: 'DELETE' as const, url: `/sessions/${'%20'.repeat(120)}`, headers: bearer(victim.tokens.accessToken) }
    ]) {
      const before = await snapshot(sql)
      const response = await app.inject(request)
      assertRefused(t, response, `${request.method} ${request.url.slice(0, 20)}…`, 400)
      t.equal(problemOf(response).code, 'validation_failed')
      t.notOk(response.body.includes(long) || response.body.includes('FST_'), 'neither the path nor a framework code is echoed')
      t.equal(await snapshot(sql), before, 'nothing changed')
    }
  })
})
