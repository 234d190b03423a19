import t from 'tap'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import { createStrictValidatorCompiler, fastifyProblem, frameworkErrors, HttpProblem } from '../src/index.js'

async function app () {
  const app = Fastify({ bodyLimit: 64 })
  app.setValidatorCompiler(createStrictValidatorCompiler())
  await app.register(fastifyProblem)
  app.post('/things', {
    schema: {
      body: Type.Object({ name: Type.String(), size: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
      querystring: Type.Object({ limit: Type.Optional(Type.Integer()) })
    }
  }, async request => ({ body: request.body, query: request.query }))
  app.get('/teapot', async () => { throw new HttpProblem(409, 'email_taken', 'Taken', { headers: { 'x-extra': 'yes' } }) })
  app.get('/bug', async () => { throw new Error('SELECT * FROM secrets failed') })
  return app
}

t.test('problem handler › answers RFC 9457 problem+json for every kind of failure', async t => {
  const server = await app()
  const cases = [
    { request: { method: 'POST' as const, url: '/things', payload: { name: 'a', extra: 1 } }, status: 400, code: 'validation_failed' },
    { request: { method: 'POST' as const, url: '/things', payload: { name: 5 } }, status: 400, code: 'validation_failed' },
    { request: { method: 'POST' as const, url: '/things', headers: { 'content-type': 'application/json' }, payload: '{' }, status: 400, code: 'validation_failed' },
    { request: { method: 'POST' as const, url: '/things', headers: { 'content-type': 'text/plain' }, payload: 'x' }, status: 415, code: 'unsupported_media_type' },
    { request: { method: 'POST' as const, url: '/things', payload: { name: 'x'.repeat(100) } }, status: 413, code: 'payload_too_large' },
    { request: { method: 'GET' as const, url: '/teapot' }, status: 409, code: 'email_taken' },
    { request: { method: 'GET' as const, url: '/nowhere' }, status: 404, code: 'not_found' },
    { request: { method: 'GET' as const, url: '/bug' }, status: 500, code: 'internal_error' }
  ]
  for (const { request, status, code } of cases) {
    const response = await server.inject(request)
    t.equal(response.statusCode, status, `${request.method} ${request.url} → ${status}`)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    const body = response.json()
    t.equal(body.code, code)
    t.equal(body.status, status)
    t.equal(body.type, `urn:latchkey:problem:${code}`)
    t.type(body.title, 'string')
    if (code === 'validation_failed') t.ok(Array.isArray(body.errors) && body.errors.length > 0, 'errors[] present')
  }
  const extra = await server.inject({ method: 'POST', url: '/things', payload: { name: 'a', extra: 1 } })
  t.same(extra.json().errors, [{ path: '/extra', message: 'is not an allowed property' }])
  t.equal((await server.inject({ method: 'GET', url: '/teapot' })).headers['x-extra'], 'yes')
  t.notMatch((await server.inject({ method: 'GET', url: '/bug' })).body, /SELECT/, 'a 5xx never echoes its message')
})

t.test('strict validation › coerces the query string but never the body', async t => {
  const server = await app()
  const response = await server.inject({ method: 'POST', url: '/things?limit=5', payload: { name: 'a', size: 2 } })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { body: { name: 'a', size: 2 }, query: { limit: 5 } })
  const coerced = await server.inject({ method: 'POST', url: '/things', payload: { name: 'a', size: '2' } })
  t.equal(coerced.statusCode, 400)
})

t.test('text hygiene › refuses NUL and lone surrogates anywhere in body, query or params with a 400 naming where', async t => {
  const server = await app()
  server.get('/items/:id', { schema: { params: Type.Object({ id: Type.String() }) } }, async request => request.params)
  server.get('/raw/:id', async request => request.params)
  for (const [request, path] of [
    [{ method: 'POST' as const, url: '/things', payload: { name: 'a\u0000b' } }, '/name'],
    [{ method: 'POST' as const, url: '/things', payload: { name: 'a\ud800b' } }, '/name'],
    [{ method: 'POST' as const, url: '/things', payload: { name: 'ok', 'k\u0000': 1 } }, '/k\u0000'],
    [{ method: 'POST' as const, url: '/things?limit=a%00b', payload: { name: 'ok' } }, '/limit'],
    [{ method: 'GET' as const, url: '/items/a%00b' }, '/id']
  ] as const) {
    const response = await server.inject(request)
    t.equal(response.statusCode, 400, request.url)
    t.equal(response.json().code, 'validation_failed')
    t.equal(response.json().errors[0].path, path)
  }
  t.equal((await server.inject({ method: 'GET', url: '/raw/a%00b' })).statusCode, 200, 'a route that declares no input is not checked (it reads none)')
  const fine = await server.inject({ method: 'POST', url: '/things', payload: { name: 'emoji 🔐 and ünïcødé' } })
  t.equal(fine.statusCode, 200, 'well-formed text including astral characters passes')
})

t.test('framework errors › an over-long path parameter is a 400 problem that does not echo the path', async t => {
  const server = Fastify({ frameworkErrors })
  await server.register(fastifyProblem)
  server.get('/items/:id', async request => request.params)
  const response = await server.inject({ method: 'GET', url: `/items/${'x'.repeat(150)}` })
  t.equal(response.statusCode, 400)
  t.match(response.headers['content-type'], /application\/problem\+json/)
  t.equal(response.json().code, 'validation_failed')
  t.notMatch(response.body, /xxxxxxxxxx/)
})
