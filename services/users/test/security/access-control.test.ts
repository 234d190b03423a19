/**
 * Broken object- and property-level authorization (IDOR/BOLA, BOPLA) and prototype pollution in
 * the users service: user A cannot change B's profile or see B's private fields, no body can set
 * id, email, roles, status or version, and a __proto__ / constructor.prototype body is refused in
 * both media types without touching Object.prototype.
 */
import t, { type Test } from 'tap'
import { assertRefused } from '@latchkey/test-support'
import type { InjectOptions } from 'fastify'
import { bearer, build } from '../helper.js'
import { profileRow, snapshot } from './helper.js'

t.test('access control in the users service', async t => {
  const world = await build(t)
  const { app, sql } = world
  const a = await world.account('Alice Attacker')
  const b = await world.account('Bob Victim')
  const json = (token: string, type = 'application/json'): Record<string, string> => ({ ...bearer(token), 'content-type': type })
  const privateFields = await app.inject({ method: 'PATCH', url: '/users/me', headers: json(b.token), payload: { bio: 'public bio', locale: 'fr-CA', timezone: 'America/Toronto', avatarUrl: 'https://example.test/b.png' } })
  if (privateFields.statusCode !== 200) throw new Error(`setup: ${privateFields.body}`)

  async function refused (t: Test, request: InjectOptions, label: string, status: number, code?: string): Promise<void> {
    const before = await snapshot(sql)
    const response = await app.inject(request)
    assertRefused(t, response, label, status)
    if (code !== undefined) t.equal(response.json<{ code: string }>().code, code, `${label}: ${code}`)
    t.equal(await snapshot(sql), before, `${label}: nothing changed`)
  }

  t.test('PATCH /users/{id} › A gets 403 forbidden on B\'s profile, in either media type, with or without If-Match (ASVS 8.2.1, 8.2.2)', async t => {
    const bBefore = await profileRow(sql, b.id)
    for (const type of ['application/json', 'application/merge-patch+json']) {
      await refused(t, { method: 'PATCH', url: `/users/${b.id}`, headers: json(a.token, type), payload: { name: 'pwned' } }, `PATCH B as ${type}`, 403, 'forbidden')
      await refused(t, { method: 'PATCH', url: `/users/${b.id}`, headers: { ...json(a.token, type), 'if-match': '*' }, payload: { bio: null } }, `PATCH B with If-Match * as ${type}`, 403, 'forbidden')
      await refused(t, { method: 'PATCH', url: `/users/${b.id.toUpperCase()}`, headers: json(a.token, type), payload: { name: 'pwned' } }, `PATCH B in upper case as ${type}`, 403, 'forbidden')
    }
    for (const method of ['PUT', 'DELETE', 'POST'] as const) {
      const response = await app.inject({ method, url: `/users/${b.id}`, headers: json(a.token), payload: { name: 'pwned' } })
      t.ok([404, 405].includes(response.statusCode), `${method} /users/{B}: no such route (${response.statusCode})`)
    }
    t.equal(await profileRow(sql, b.id), bBefore, 'B\'s profile is unchanged')
  })

  t.test('GET /users/{id}, GET /users › A sees only B\'s public fields: no locale, time zone, timestamps, email or roles (ASVS 8.2.3, 15.3.1)', async t => {
    const one = await app.inject({ url: `/users/${b.id}`, headers: bearer(a.token) })
    t.equal(one.statusCode, 200)
    t.same(one.json(), { id: b.id, name: 'Bob Victim', bio: 'public bio', avatarUrl: 'https://example.test/b.png' })
    const page = await app.inject({ url: '/users?q=bob', headers: bearer(a.token) })
    t.equal(page.statusCode, 200)
    for (const item of page.json<{ items: Array<Record<string, unknown>> }>().items) t.same(Object.keys(item).sort(), ['avatarUrl', 'bio', 'id', 'name'])
    for (const body of [one.body, page.body]) {
      t.notMatch(body, /fr-CA|America\/Toronto|@|"roles"|"status"|"email"|"locale"|"timezone"|"createdAt"/, 'nothing private in the answer')
    }
    const columns = await sql<Array<{ columnName: string }>>`SELECT column_name FROM information_schema.columns WHERE table_schema = ${world.schema} AND table_name = 'profiles'`
    t.notOk(columns.some(column => /email|role|status|password/.test(column.columnName)), 'the users schema has no email, role, status or password column')
  })

  t.test('PATCH /users/me, PUT /users/me › id, email, roles, status, version or timestamps in the body are 400 and change nothing (ASVS 15.3.3, 8.2.3)', async t => {
    const extras: Array<Record<string, unknown>> = [
      { id: b.id }, { email: 'a@example.test' }, { roles: ['admin'] }, { status: 'disabled' }, { version: 1 },
      { createdAt: '2000-01-01T00:00:00Z' }, { updatedAt: '2000-01-01T00:00:00Z' }, { accountId: b.id }, { sub: b.id }
    ]
    for (const extra of extras) {
      for (const type of ['application/json', 'application/merge-patch+json']) {
        await refused(t, { method: 'PATCH', url: '/users/me', headers: json(a.token, type), payload: { name: 'Alice', ...extra } }, `PATCH with ${JSON.stringify(extra)} as ${type}`, 400, 'validation_failed')
      }
      await refused(t, { method: 'PUT', url: '/users/me', headers: json(a.token), payload: { name: 'Alice', ...extra } }, `PUT with ${JSON.stringify(extra)}`, 400, 'validation_failed')
    }
    const me = await app.inject({ url: '/users/me', headers: bearer(a.token) })
    t.match(me.json(), { id: a.id, name: 'Alice Attacker' }, 'A is unchanged')
  })

  t.test('PATCH /users/me › a token is the only way to name the profile: A\'s write never lands on B (ASVS 8.2.2)', async t => {
    const bBefore = await profileRow(sql, b.id)
    const response = await app.inject({ method: 'PATCH', url: '/users/me', headers: json(a.token), payload: { bio: 'mine' } })
    t.equal(response.statusCode, 200)
    t.equal(response.json<{ id: string }>().id, a.id)
    t.equal(await profileRow(sql, b.id), bBefore, 'B\'s profile is unchanged')
  })

  t.test('PATCH /users/me, PUT /users/me, PATCH /users/{id} › __proto__ and constructor.prototype bodies are 400 in both media types and Object.prototype stays clean (ASVS 15.3.6)', async t => {
    const admin = await world.account('Proto Admin', ['user', 'admin'])
    const bodies = [
      '{"__proto__":{"polluted":"yes"}}',
      '{"name":"Alice","__proto__":{"polluted":"yes","name":"pwned"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"name":"Alice","constructor":{"prototype":{"polluted":"yes"}}}',
      '{"bio":{"__proto__":{"polluted":"yes"}}}'
    ]
    for (const payload of bodies) {
      for (const type of ['application/json', 'application/merge-patch+json']) {
        await refused(t, { method: 'PATCH', url: '/users/me', headers: json(a.token, type), payload }, `PATCH /users/me ${payload} as ${type}`, 400)
        await refused(t, { method: 'PATCH', url: `/users/${b.id}`, headers: json(admin.token, type), payload }, `admin PATCH ${payload} as ${type}`, 400)
      }
      await refused(t, { method: 'PUT', url: '/users/me', headers: json(a.token), payload }, `PUT /users/me ${payload}`, 400)
      t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype.polluted is undefined')
      t.equal(({} as Record<string, unknown>).name, undefined, 'Object.prototype.name is undefined')
    }
  })
})
