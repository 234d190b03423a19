/**
 * Property-based fuzzing (fast-check) of every request body, query string and path of the users
 * service: whatever arrives, the answer is never a 5xx, a 4xx is RFC 9457 problem+json, a 4xx
 * changes no row, and no body pollutes Object.prototype (ASVS 2.2.1, 15.3.5, 15.3.6, 16.5.1).
 */
import t, { type Test } from 'tap'
import { edgyString, hostileBody, hostileCursor, hostileQuery, hostileString, percentEncode } from '@latchkey/test-support'
import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { bearer, build } from '../helper.js'
import { snapshot } from './helper.js'

const NUM_RUNS = 120

t.test('fuzzing the users service', async t => {
  const world = await build(t)
  const { app, sql } = world
  const me = await world.account('Fuzz Me')
  const target = await world.account('Fuzz Target')
  const admin = await world.account('Fuzz Admin', ['user', 'admin'])
  for (const name of ['alice', 'Bob', 'Ünïcödé', 'zoë']) await world.account(name)

  const name = fc.oneof(fc.string({ minLength: 1, maxLength: 100 }), edgyString({ minLength: 1, maxLength: 100 }), fc.constant('   '), fc.string({ minLength: 101, maxLength: 120 }))
  const bio = fc.oneof(fc.constant(null), fc.string({ maxLength: 500 }), edgyString({ maxLength: 500 }), fc.string({ minLength: 501, maxLength: 600 }))
  const avatarUrl = fc.oneof(fc.constant(null), fc.webUrl(), fc.webUrl({ validSchemes: ['https'] }), fc.constantFrom('javascript:alert(1)', 'http://x.io/a.png', 'https://', 'https://127.0.0.1/a', 'data:image/png;base64,AAAA', 'https://x.io/\u0000'))
  const locale = fc.oneof(fc.constant(null), fc.constantFrom('en', 'en-US', 'fr-CA', 'zh-Hant-TW', 'x-private', 'i-klingon', 'EN_us', 'en--US', 'root'), fc.string({ minLength: 2, maxLength: 35 }))
  const timezone = fc.oneof(fc.constant(null), fc.constantFrom('Europe/Paris', 'UTC', 'Etc/GMT+5', 'Asia/Calcutta', '+01:00', 'Mars/Olympus', '../../etc/passwd', 'europe/paris'), fc.string({ minLength: 1, maxLength: 64 }))
  const profileBody = hostileBody({ name, bio, avatarUrl, locale, timezone })
  const contentType = fc.constantFrom('application/json', 'application/merge-patch+json', 'application/json; charset=utf-8', 'application/merge-patch+json; charset=utf-8')
  const ifMatch = fc.option(fc.oneof(fc.constantFrom('*', '"1"', '"999999999999999999999"', 'W/"1"', '"1", "2"', '"-1"', '""'), hostileString), { nil: undefined })

  async function holds (request: InjectOptions): Promise<void> {
    const before = await snapshot(sql)
    const response: LightMyRequestResponse = await app.inject(request)
    if (response.statusCode >= 500) throw new Error(`${response.statusCode}: ${response.body.slice(0, 300)}`)
    if (({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype was polluted')
    if (response.statusCode >= 400) {
      if (!/^application\/problem\+json/.test(String(response.headers['content-type']))) throw new Error(`${response.statusCode} is not problem+json: ${response.body.slice(0, 200)}`)
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

  const write = (method: 'PATCH' | 'PUT', url: string, token: string) => ([body, type, match]: [string, string, string | undefined]): InjectOptions => ({
    method, url, payload: body, headers: { ...bearer(token), 'content-type': type, ...(match === undefined ? {} : { 'if-match': match }) }
  })

  t.test('PATCH /users/me › never answers 5xx and a 4xx changes no profile, in JSON or merge patch (ASVS 2.2.1, 16.5.1)', async t => {
    await fuzz(t, fc.tuple(profileBody, contentType, ifMatch), write('PATCH', '/users/me', me.token))
  })

  t.test('PUT /users/me › never answers 5xx and a 4xx changes no profile, in JSON or merge patch (ASVS 2.2.1, 16.5.1)', async t => {
    await fuzz(t, fc.tuple(hostileBody({ name, bio, avatarUrl, locale, timezone }), contentType, ifMatch), write('PUT', '/users/me', me.token))
  })

  t.test('PATCH /users/{id} › never answers 5xx and a 4xx changes no profile, admin or not (ASVS 2.2.1, 8.2.1)', async t => {
    await fuzz(t, fc.tuple(profileBody, contentType, ifMatch, fc.boolean()), ([body, type, match, asAdmin]) => write('PATCH', `/users/${target.id}`, asAdmin ? admin.token : me.token)([body, type, match]))
  })

  t.test('GET /users?… › never answers 5xx to any query string (ASVS 2.2.1, 15.3.7)', async t => {
    const query = hostileQuery({ limit: fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.constantFrom('1e2', '0x10', '1.5', '')), cursor: hostileCursor, q: fc.oneof(hostileString, edgyString({ minLength: 1, maxLength: 100 }), fc.constantFrom('%', '_', '\\', 'a%', "'")) })
    await fuzz(t, query, text => ({ method: 'GET', url: `/users?${text}`, headers: bearer(me.token) }))
  })

  t.test('GET /users/{id} › never answers 5xx to arbitrary path strings (ASVS 2.2.1)', async t => {
    const segment = fc.oneof(hostileString.map(percentEncode), edgyString({ maxLength: 60 }).map(percentEncode), fc.constantFrom('..', '%2e%2e', '..%2fme', '%00', 'me', `${target.id}%00`, `${target.id}/`, target.id.toUpperCase(), '00000000-0000-0000-0000-000000000000', `{${target.id}}`))
    await fuzz(t, segment, path => ({ method: 'GET', url: `/users/${path}`, headers: bearer(me.token) }))
  })
})
