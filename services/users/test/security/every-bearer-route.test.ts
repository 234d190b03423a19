/**
 * Generated from the built app's own OpenAPI document: every operation that declares bearer
 * security refuses a forged token (one of each kind in the shared catalogue), so a route added
 * later is covered without anyone remembering to list it here.
 */
import t from 'tap'
import { assertRefused, bearerOperations, forgedTokens, listener, trustedSigner, type OpenApiDocument } from '@latchkey/test-support'
import { bearer, build } from '../helper.js'
import { snapshot, trustedKeys } from './helper.js'

t.test('every bearer route in the OpenAPI document refuses forged tokens (ASVS 9.1.1, 8.3.1)', async t => {
  const world = await build(t)
  const { app, sql } = world
  const victim = await world.account('Victim', ['user', 'admin'])
  const { publicKey, testKid, testKey } = await trustedKeys(world)
  const probe = await listener(close => { t.teardown(close) })
  const catalogue = forgedTokens({ genuine: victim.token, publicKey, signTrusted: trustedSigner(testKid, testKey), listenerUrl: probe.url })
  // One forgery of each kind that no route may accept.
  const forgeries = [...new Map(catalogue.filter(forgery => forgery.code === undefined).map(forgery => [forgery.batch, forgery])).values()]

  // The document the built app serves, so it lists exactly the routes the app has.
  const operations = bearerOperations((await app.inject({ url: '/docs/json' })).json<OpenApiDocument>())
  t.ok(operations.length >= 5, `${operations.length} bearer operations found`)
  for (const known of ['get /users/me', 'patch /users/me', 'put /users/me', 'get /users', 'get /users/{id}', 'patch /users/{id}']) {
    t.ok(operations.some(({ method, path }) => `${method} ${path}` === known), `${known} is among them`)
  }

  const before = await snapshot(sql)
  for (const { method, path } of operations) {
    const url = path.replaceAll(/\{[^}]+\}/g, victim.id)
    for (const forgery of forgeries) {
      const label = `${method.toUpperCase()} ${path} › ${forgery.batch}: ${forgery.name}`
      const response = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: bearer(forgery.token), ...(method === 'get' || method === 'delete' ? {} : { payload: { name: 'pwned' } }) })
      assertRefused(t, response, label, 401)
      t.match(response.headers['www-authenticate'], /error="invalid_token"/, label)
    }
  }
  t.equal(await snapshot(sql), before, 'no row changed')
  t.equal(probe.requests(), 0, 'no jku or x5u was fetched')
  t.equal((await app.inject({ url: '/users/me', headers: bearer(victim.token) })).statusCode, 200, 'the genuine token still works')
})

t.test('every bearer route refuses an enrolment-only token with a documented 403 mfa_enrollment_required (ASVS 6.3.3)', async t => {
  const world = await build(t)
  const { app } = world
  const document = (await app.inject({ url: '/docs/json' })).json<OpenApiDocument>()
  const admin = await world.account('Admin', ['user', 'admin'])
  for (const { method, path } of bearerOperations(document)) {
    const label = `${method.toUpperCase()} ${path}`
    const token = await world.token({ sub: admin.id, roles: ['user', 'admin'], enrolmentOnly: true })
    const response = await app.inject({ method: method.toUpperCase() as 'GET', url: path.replaceAll(/\{[^}]+\}/g, admin.id), headers: bearer(token), ...(method === 'get' || method === 'delete' ? {} : { payload: { name: 'changed' } }) })
    t.equal(response.statusCode, 403, label)
    t.equal(response.json<{ code: string }>().code, 'mfa_enrollment_required', label)
    t.ok(document.paths[path]?.[method]?.responses['403'], `${label} documents its 403`)
  }
})
