import t from 'tap'
import { build } from '../helper.js'

const world = await build(t)
const { app } = world

t.test('GET /health/live › answers 200 ok without a token', async t => {
  const res = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.same(res.json(), { status: 'ok' })
  t.equal(res.headers['x-content-type-options'], 'nosniff')
})

t.test('GET /health/ready › answers 200 when Postgres, revocations and events are all fine', async t => {
  const res = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok', checks: { postgres: 'ok', revocations: 'ok', accountEvents: 'ok' } })
})

t.test('GET /health/ready › answers 503 naming the failing check when events are not consumed', async t => {
  const { createInProcessAccountEvents } = await import('@latchkey/account-events')
  const events = createInProcessAccountEvents()
  const other = await world.rebuild(events)
  await events.close()
  const res = await other.inject({ method: 'GET', url: '/health/ready' })
  t.equal(res.statusCode, 503)
  t.match(res.json(), { status: 'unavailable', checks: { postgres: 'ok', revocations: 'ok', accountEvents: 'failing' } })
})

t.test('GET /docs/json › is an OpenAPI 3.1 document with servers, security and every status', async t => {
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.equal(doc.openapi, '3.1.0')
  t.ok(doc.servers.length > 0)
  t.ok(doc.components.securitySchemes.bearerAuth)
  for (const name of ['Problem', 'FieldError', 'Profile', 'PublicProfile', 'PublicProfilePage', 'Health']) {
    t.ok(doc.components.schemas[name], `component ${name}`)
  }
  t.notOk(Object.keys(doc.components.schemas).some(name => name.startsWith('def-')), 'no def-N components')
  const expected: Record<string, string[]> = {
    'get /users/me': ['200', '401', '403', '404', '500', '503'],
    'patch /users/me': ['200', '400', '401', '403', '404', '412', '413', '415', '500', '503'],
    'put /users/me': ['200', '400', '401', '403', '404', '412', '413', '415', '500', '503'],
    'get /users/{id}': ['200', '400', '401', '403', '404', '500', '503'],
    'patch /users/{id}': ['200', '400', '401', '403', '404', '412', '413', '415', '500', '503'],
    'get /users': ['200', '400', '401', '403', '500', '503'],
    'get /health/live': ['200'],
    'get /health/ready': ['200', '503']
  }
  for (const [key, statuses] of Object.entries(expected)) {
    const [method = '', path = ''] = key.split(' ')
    const operation = doc.paths[path]?.[method]
    t.ok(operation, key)
    t.ok(operation.summary, `${key} summary`)
    t.ok(operation.tags?.length > 0, `${key} tags`)
    t.ok(Array.isArray(operation.security), `${key} security`)
    t.same(Object.keys(operation.responses).sort(), statuses.sort(), `${key} statuses`)
  }
  t.same(doc.paths['/users/me'].get.security, [{ bearerAuth: [] }])
  t.same(doc.paths['/health/live'].get.security, [])
  t.same(doc.paths['/users/me'].patch.responses['412'].content['application/problem+json'].schema, { $ref: '#/components/schemas/Problem' })
  t.same(Object.keys(doc.paths['/users/me'].patch.requestBody.content).sort(), ['application/json', 'application/merge-patch+json'])
  t.same(Object.keys(doc.paths['/users/me'].put.requestBody.content), ['application/json'])
  t.match(doc.paths['/users/me'].get.responses['200'].headers.ETag, { schema: { type: 'string' } })
  t.notOk(doc.paths['/users/me'].get.responses['200'].headers.ETag.schema.schema)
  t.notMatch(res.body, /email/i, 'no email anywhere in the users API')
})

t.test('GET /docs › serves Swagger UI without a token', async t => {
  const res = await app.inject({ method: 'GET', url: '/docs' })
  t.ok([200, 302].includes(res.statusCode))
})

t.test('GET /health/ready › answers 503 and guarded routes fail closed when revocations cannot be confirmed', async t => {
  const { createInProcessAccountEvents } = await import('@latchkey/account-events')
  const { createRedisRevocationFeed } = await import('@latchkey/fastify-jwt-guard')
  const { buildUsersApp } = await import('../../src/index.js')
  const deadFeed = createRedisRevocationFeed({ url: 'redis://127.0.0.1:1', prefix: world.prefix })
  const events = createInProcessAccountEvents()
  const blind = await buildUsersApp({ ...world.config, REVOCATION_MAX_STALENESS: 1 }, { sql: world.sql, revocationFeed: deadFeed, keySource: world.keySource, accountEvents: events })
  t.teardown(async () => { await blind.close(); await deadFeed.close() })
  await blind.ready()
  const ready = await blind.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 'unavailable', checks: { revocations: 'failing' } })
  const guarded = await blind.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${await world.token()}` } })
  t.equal(guarded.statusCode, 503)
  t.equal(guarded.json().code, 'service_unavailable')
})

t.test('GET /docs › the UI carries its own CSP, the API keeps default-src none', async t => {
  const res = await app.inject({ method: 'GET', url: '/docs/static/index.html' })
  const page = res.statusCode === 200 ? res : await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-security-policy'], /script-src 'self'/)
})

t.test('GET /docs › with DOCS_ENABLED=false, /docs, its UI and the document answer 404 problems (ASVS 13.4.5)', async t => {
  const { createInProcessAccountEvents } = await import('@latchkey/account-events')
  const { buildUsersApp } = await import('../../src/index.js')
  const events = createInProcessAccountEvents()
  const undocumented = await buildUsersApp({ ...world.config, DOCS_ENABLED: false }, { sql: world.sql, revocationFeed: world.feed, keySource: world.keySource, accountEvents: events })
  t.teardown(async () => { await undocumented.close(); await events.close() })
  for (const url of ['/docs', '/docs/', '/docs/json', '/docs/yaml']) {
    const response = await undocumented.inject({ method: 'GET', url })
    t.equal(response.statusCode, 404, url)
    t.match(response.headers['content-type'], /^application\/problem\+json/, url)
  }
})

t.test('DOCS_ENABLED › defaults to off when NODE_ENV=production and on otherwise; set, it wins (ASVS 13.4.5)', async t => {
  const { loadUsersConfig } = await import('../../src/config.js')
  t.equal(loadUsersConfig({ NODE_ENV: 'production' }).DOCS_ENABLED, false)
  t.equal(loadUsersConfig({ NODE_ENV: 'production', DOCS_ENABLED: 'true' }).DOCS_ENABLED, true)
  t.equal(loadUsersConfig({}).DOCS_ENABLED, true)
  t.equal(loadUsersConfig({ DOCS_ENABLED: 'false' }).DOCS_ENABLED, false)
})
