/**
 * Classic SQL-injection strings in every string field of every users body and query: never a
 * 5xx, never a statement with the payload's pg_sleep in its text, never a row changed by a
 * refused request, the name prefix search matches literally, and a valid injection-looking value is stored verbatim
 * (ASVS 1.2.4, 2.2.1).
 */
import t, { type Test } from 'tap'
import { assertRefused, sqlInjectionPayloads, statementsDuring } from '@latchkey/test-support'
import { randomUUID } from 'node:crypto'
import type { InjectOptions } from 'fastify'
import { bearer, build } from '../helper.js'
import { profileRow, snapshot } from './helper.js'

t.test('SQL injection in the users service', async t => {
  const world = await build(t)
  const { app, sql } = world
  const me = await world.account('Injector')
  const admin = await world.account('Injection Admin', ['user', 'admin'])
  const target = await world.account('Injection Target')
  const headers = { ...bearer(me.token), 'content-type': 'application/json' }

  async function refused (t: Test, request: InjectOptions, label: string, status?: number): Promise<void> {
    const before = await snapshot(sql)
    const { result: response, statements } = await statementsDuring(sql, async () => await app.inject(request))
    t.same(statements, [], `${label}: no statement ran with pg_sleep in its text (the payload stayed a parameter)`)
    assertRefused(t, response, label, status)
    t.equal(await snapshot(sql), before, `${label}: nothing changed`)
  }

  t.test('PATCH /users/me, PUT /users/me › an injection string in name or bio is stored verbatim and matches nothing else (ASVS 1.2.4)', async t => {
    for (const payload of sqlInjectionPayloads) {
      for (const method of ['PATCH', 'PUT'] as const) {
        const otherBefore = await profileRow(sql, target.id)
        const response = await app.inject({ method, url: '/users/me', headers, payload: { name: payload.slice(0, 100), bio: payload } })
        t.equal(response.statusCode, 200, `${method} ${payload}`, { body: response.body })
        t.match(response.json(), { id: me.id, name: payload.slice(0, 100).trim(), bio: payload }, 'answered verbatim')
        const [row] = await sql<Array<{ name: string, bio: string }>>`SELECT name, bio FROM profiles WHERE id = ${me.id}`
        t.same(row, { name: payload.slice(0, 100).trim(), bio: payload }, 'stored verbatim')
        t.equal(await profileRow(sql, target.id), otherBefore, 'no other profile changed')
      }
    }
  })

  t.test('PATCH /users/me, PATCH /users/{id} › an injection string in avatarUrl, locale, timezone or If-Match is 400/412 and changes nothing (ASVS 1.2.4, 2.2.1)', async t => {
    for (const payload of sqlInjectionPayloads) {
      for (const field of ['avatarUrl', 'locale', 'timezone']) {
        await refused(t, { method: 'PATCH', url: '/users/me', headers, payload: { [field]: payload } }, `${field} ${payload}`, 400)
        await refused(t, { method: 'PATCH', url: `/users/${target.id}`, headers: { ...bearer(admin.token), 'content-type': 'application/json' }, payload: { [field]: payload } }, `admin ${field} ${payload}`, 400)
      }
      await refused(t, { method: 'PATCH', url: '/users/me', headers: { ...headers, 'if-match': payload }, payload: { name: 'If-Match' } }, `If-Match ${payload}`)
    }
  })

  t.test('GET /users?q= › an injection string is a literal prefix: it matches only a profile whose name starts with it (ASVS 1.2.4)', async t => {
    const marker = `zz-${randomUUID().slice(0, 8)}`
    const literal = await world.account(`${marker}' OR '1'='1`)
    for (const payload of sqlInjectionPayloads) {
      const { result: page, statements } = await statementsDuring(sql, async () => await app.inject({ url: `/users?q=${encodeURIComponent(payload)}&limit=100`, headers: bearer(me.token) }))
      t.same(statements, [], `q=${payload}: no statement ran with pg_sleep in its text`)
      t.equal(page.statusCode, 200, `q=${payload}`)
      for (const item of page.json<{ items: Array<{ name: string }> }>().items) {
        t.ok(item.name.toLowerCase().startsWith(payload.toLowerCase()), `q=${payload}: ${item.name} starts with it`)
      }
    }
    const page = await app.inject({ url: `/users?q=${encodeURIComponent(`${marker}' OR '1'='1`)}`, headers: bearer(me.token) })
    t.same(page.json<{ items: Array<{ id: string }> }>().items.map(item => item.id), [literal.id], 'the literal name is found, and only it')
  })

  t.test('GET /users?cursor=&limit=, GET /users/{id} › injection strings are 400 and reveal nothing (ASVS 1.2.4, 15.3.7)', async t => {
    for (const payload of sqlInjectionPayloads) {
      await refused(t, { url: `/users?cursor=${encodeURIComponent(payload)}`, headers: bearer(me.token) }, `cursor=${payload}`, 400)
      const cursor = Buffer.from(JSON.stringify([payload, '00000000-0000-0000-0000-000000000000'])).toString('base64url')
      const page = await app.inject({ url: `/users?cursor=${cursor}`, headers: bearer(me.token) })
      t.ok(page.statusCode === 200 || page.statusCode === 400, `cursor carrying ${payload}: 200 or 400`, { statusCode: page.statusCode, body: page.body })
      await refused(t, { url: `/users?limit=${encodeURIComponent(payload)}`, headers: bearer(me.token) }, `limit=${payload}`, 400)
      await refused(t, { url: `/users/${encodeURIComponent(payload)}`, headers: bearer(me.token) }, `GET /users/${payload}`, 400)
    }
  })
})
