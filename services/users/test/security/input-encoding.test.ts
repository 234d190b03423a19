/**
 * Inputs that are valid JSON or a valid URL but not valid PostgreSQL text or a valid id: NUL
 * bytes, lone UTF-16 surrogates, over-long path ids. Each must be a 4xx problem that changes
 * nothing, never a 500 or a framework-shaped error (ASVS 2.2.1, 16.5.1, RFC 9457).
 */
import t, { type Test } from 'tap'
import { assertRefused } from '@latchkey/test-support'
import type { InjectOptions } from 'fastify'
import { bearer, build } from '../helper.js'
import { snapshot } from './helper.js'

t.test('input encodings in the users service', async t => {
  const world = await build(t)
  const { app, sql } = world
  const me = await world.account('Encoder')
  const admin = await world.account('Encoding Admin', ['user', 'admin'])
  const json = (token: string): Record<string, string> => ({ ...bearer(token), 'content-type': 'application/json' })

  async function refused (t: Test, request: InjectOptions, label: string, status?: number): Promise<void> {
    const before = await snapshot(sql)
    const response = await app.inject(request)
    assertRefused(t, response, label, status)
    t.equal(await snapshot(sql), before, `${label}: nothing changed`)
  }

  t.test('PATCH /users/me, PUT /users/me, PATCH /users/{id} › answer 400, not 500, to a NUL byte in name or bio, and change nothing (ASVS 2.2.1, 16.5.1)', async t => {
    for (const body of [{ name: 'a\u0000b' }, { bio: 'a\u0000b' }]) {
      await refused(t, { method: 'PATCH', url: '/users/me', headers: json(me.token), payload: body }, `PATCH /users/me ${JSON.stringify(body)}`, 400)
      await refused(t, { method: 'PUT', url: '/users/me', headers: json(me.token), payload: { name: 'Encoder', ...body } }, `PUT /users/me ${JSON.stringify(body)}`, 400)
      await refused(t, { method: 'PATCH', url: `/users/${me.id}`, headers: json(admin.token), payload: body }, `admin PATCH ${JSON.stringify(body)}`, 400)
    }
  })

  t.test('PATCH /users/me › answers 400 to a lone surrogate in name or bio instead of storing U+FFFD in its place (ASVS 2.2.1)', async t => {
    for (const body of [{ name: 'a\ud800b' }, { bio: 'a\udfffb' }]) {
      await refused(t, { method: 'PATCH', url: '/users/me', headers: json(me.token), payload: body }, `PATCH /users/me ${JSON.stringify(body)}`, 400)
    }
  })

  t.test('GET /users?q=, GET /users?cursor= › answer 400 or an empty page, not 500, to a NUL byte (ASVS 2.2.1, 16.5.1)', async t => {
    const cursor = Buffer.from(JSON.stringify(['a\u0000b', '00000000-0000-0000-0000-000000000000'])).toString('base64url')
    for (const url of ['/users?q=a%00b', `/users?cursor=${cursor}`]) {
      const response = await app.inject({ url, headers: bearer(me.token) })
      t.ok(response.statusCode === 400 || (response.statusCode === 200 && response.json<{ items: unknown[] }>().items.length === 0), `${url}: a 400 or an empty page`, { statusCode: response.statusCode, body: response.body })
      if (response.statusCode >= 400) assertRefused(t, response, url, 400)
    }
  })

  t.test('GET /users/{id}, PATCH /users/{id} › answer 400 validation_failed problem+json to an over-long id, without echoing it (RFC 9457)', async t => {
    const long = 'x'.repeat(150)
    for (const request of [
      { method: 'GET' as const, url: `/users/${long}`, headers: bearer(me.token) },
      { method: 'PATCH' as const, url: `/users/${long}`, headers: json(admin.token), payload: { name: 'x' } }
    ]) {
      await refused(t, request, `${request.method} /users/x…`, 400)
      const response = await app.inject(request)
      t.notOk(response.body.includes(long) || response.body.includes('FST_'), 'neither the path nor a framework code is echoed')
    }
  })
})
