import t from 'tap'
import { loadAuthConfig } from '../../src/config.js'
import { build } from '../helper.js'

t.test('GET /docs/json', async t => {
  const { app } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(response.statusCode, 200)
  const document = response.json()

  t.test('is OpenAPI 3.1 with servers and a bearer security scheme', async t => {
    t.equal(document.openapi, '3.1.0')
    t.same(document.servers, [{ url: 'http://auth.test' }])
    t.same(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    for (const name of ['Problem', 'FieldError', 'Account', 'TokenPair', 'Session', 'Jwks']) {
      t.ok(document.components.schemas[name], `component ${name} keeps its name`)
    }
  })

  t.test('declares a summary, security and its statuses for every operation of the service', async t => {
    const expected: Record<string, string[]> = {
      'post /accounts': ['201', '400', '409', '429'],
      'get /accounts/me': ['200', '401'],
      'patch /accounts/me': ['200', '403', '409'],
      'put /accounts/me/password': ['204', '400', '403'],
      'delete /accounts/me': ['204', '403'],
      'get /accounts': ['200', '403'],
      'get /accounts/{id}': ['200', '403', '404'],
      'patch /accounts/{id}': ['200', '403', '404'],
      'delete /accounts/{id}': ['204', '403', '404'],
      'post /sessions': ['201', '401', '403', '429'],
      'post /sessions/refresh': ['200', '401'],
      'get /sessions': ['200', '401'],
      'delete /sessions/current': ['204', '401'],
      'delete /sessions/{id}': ['204', '404'],
      'delete /sessions': ['204', '401'],
      'get /verify': ['200', '401'],
      'get /.well-known/jwks.json': ['200'],
      'get /health/live': ['200'],
      'get /health/ready': ['200', '503']
    }
    for (const [operation, statuses] of Object.entries(expected)) {
      const [method, path] = operation.split(' ') as [string, string]
      const spec = document.paths[path]?.[method]
      t.ok(spec, `${operation} is documented`)
      if (spec === undefined) continue
      t.type(spec.summary, 'string', `${operation} has a summary`)
      t.ok(Array.isArray(spec.security), `${operation} declares security`)
      for (const status of statuses) t.ok(spec.responses[status], `${operation} declares ${status}`)
    }
    t.same(document.paths['/sessions'].post.security, [], 'log in is open')
    t.same(document.paths['/verify'].get.security, [{ bearerAuth: [] }])
  })

  t.test('serves Swagger UI at /docs', async t => {
    const ui = await app.inject({ method: 'GET', url: '/docs/' })
    t.equal(ui.statusCode, 200)
    t.match(ui.headers['content-type'], /text\/html/)
  })
})

t.test('GET /health/live and /health/ready', async t => {
  const { app } = await build(t)
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ok', checks: { postgres: 'ok', revocations: 'ok' } })
})

t.test('unknown routes answer 404 problem+json without echoing the path', async t => {
  const { app } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/nothing/here?token=secret' })
  t.equal(response.statusCode, 404)
  t.match(response.headers['content-type'], /application\/problem\+json/)
  t.equal(response.json().code, 'not_found')
  t.notMatch(response.body, /secret/)
})

t.test('DOCS_ENABLED', async t => {
  t.test('false: /docs, its UI and the document answer 404 problems (ASVS 13.4.5)', async t => {
    const { app } = await build(t, { env: { DOCS_ENABLED: 'false' } })
    for (const url of ['/docs', '/docs/', '/docs/json', '/docs/yaml']) {
      const response = await app.inject({ method: 'GET', url })
      t.equal(response.statusCode, 404, url)
      t.match(response.headers['content-type'], /^application\/problem\+json/, url)
    }
  })

  t.test('defaults to off when NODE_ENV=production and on otherwise; set, it wins (ASVS 13.4.5)', async t => {
    const production = { NODE_ENV: 'production', SMTP_URL: 'smtp://mail.test:25', PASSWORD_RESET_URL: 'https://app.test/reset#token={token}', EMAIL_VERIFICATION_URL: 'https://app.test/verify#token={token}' }
    t.equal(loadAuthConfig(production).DOCS_ENABLED, false)
    t.equal(loadAuthConfig({ ...production, DOCS_ENABLED: 'true' }).DOCS_ENABLED, true)
    t.equal(loadAuthConfig({}).DOCS_ENABLED, true)
    t.equal(loadAuthConfig({ DOCS_ENABLED: 'false' }).DOCS_ENABLED, false)
    t.throws(() => loadAuthConfig({ DOCS_ENABLED: 'maybe' }), /DOCS_ENABLED/)
  })
})
