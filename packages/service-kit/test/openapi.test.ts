import t from 'tap'
import { Type } from '@sinclair/typebox'
import { fastifyProblem } from '@latchkey/fastify-problem'
import { bearerSecurity, createServiceApp, jsonResponse, openapi, problemResponses, ref, responseHeaders } from '../src/index.js'

const ThingSchema = Type.Object({ id: Type.String() }, { $id: 'Thing', additionalProperties: false })

async function documented (ui = true) {
  const app = createServiceApp({ service: 'auth', logLevel: 'silent', nodeEnv: 'test', trustedProxies: [] })
  await app.register(fastifyProblem)
  await app.register(openapi, { title: 'Test', description: 'A test service', serverUrl: 'http://test.example', tags: [{ name: 'things', description: 'Things' }], schemas: [ThingSchema], ui })
  app.get('/things/:id', {
    schema: {
      tags: ['things'],
      summary: 'One thing',
      security: bearerSecurity,
      params: Type.Object({ id: Type.String() }),
      response: {
        200: jsonResponse('The thing', ref(ThingSchema), responseHeaders.etag),
        ...problemResponses(400, 401, 404, 429, 503)
      }
    }
  }, async (request, reply) => {
    if (request.params.id === 'missing') return await reply.code(401).send()
    reply.header('etag', '"1"')
    return { id: request.params.id }
  })
  await app.ready()
  return app
}

t.test('openapi › every problem answer is application/problem+json, with the headers it carries', async t => {
  const app = await documented()
  t.teardown(async () => { await app.close() })
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  t.equal(document.openapi, '3.1.0')
  t.same(document.servers, [{ url: 'http://test.example' }])
  t.ok(document.components.schemas.Thing && document.components.schemas.Problem && document.components.schemas.FieldError && document.components.schemas.Health, 'shared shapes keep their names')
  t.notOk(Object.keys(document.components.schemas).some((name: string) => name.startsWith('def-')))
  const responses = document.paths['/things/{id}'].get.responses
  t.same(responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/Thing' })
  t.ok(responses['200'].headers.ETag, 'ETag documented where used')
  for (const status of ['400', '401', '404', '429', '503']) {
    t.same(Object.keys(responses[status].content), ['application/problem+json'], `${status} is problem+json`)
    t.same(responses[status].content['application/problem+json'].schema, { $ref: '#/components/schemas/Problem' })
  }
  t.ok(responses['401'].headers['WWW-Authenticate'], '401 documents WWW-Authenticate')
  t.ok(responses['429'].headers['Retry-After'], '429 documents Retry-After')
  t.ok(responses['503'].headers['Retry-After'], '503 documents Retry-After')
  for (const [status, response] of Object.entries<{ headers: Record<string, unknown> }>(responses)) {
    t.ok(response.headers['X-Request-Id'], `${status} documents X-Request-Id`)
  }
  t.ok(document.tags.some((tag: { name: string }) => tag.name === 'health'))
})

t.test('openapi › the documented answers are what the app sends', async t => {
  const app = await documented()
  t.teardown(async () => { await app.close() })
  const ok = await app.inject({ method: 'GET', url: '/things/a' })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { id: 'a' })
  t.ok(ok.headers['x-request-id'])
  const unknown = await app.inject({ method: 'GET', url: '/nothing' })
  t.match(unknown.headers['content-type'], /^application\/problem\+json/)
  const ui = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(ui.statusCode, 200)
})

t.test('openapi › with the UI off (DOCS_ENABLED=false), /docs and /docs/json answer 404 problems, and the document is still built (ASVS 13.4.5)', async t => {
  const app = await documented(false)
  t.teardown(async () => { await app.close() })
  for (const url of ['/docs', '/docs/', '/docs/json', '/docs/yaml', '/docs/static/index.html']) {
    const response = await app.inject({ method: 'GET', url })
    t.equal(response.statusCode, 404, url)
    t.match(response.headers['content-type'], /^application\/problem\+json/, url)
  }
  t.ok(app.swagger().paths?.['/things/{id}'], 'app.swagger() still has every route')
})

t.test('ref › is a $ref in the schema and the referenced type in TypeScript', async t => {
  const thing = ref(ThingSchema, { description: 'A thing' })
  t.same(JSON.parse(JSON.stringify(thing)), { $ref: 'Thing', description: 'A thing' })
  const app = createServiceApp({ service: 'users', logLevel: 'silent', nodeEnv: 'test', trustedProxies: [] })
  t.teardown(async () => { await app.close() })
  app.addSchema(ThingSchema)
  // @ts-expect-error a handler whose answer does not match its response schema does not compile
  app.get('/wrong', { schema: { response: { 200: jsonResponse('A thing', thing) } } }, async () => ({ name: 'not a thing' }))
  app.get('/right', { schema: { response: { 200: jsonResponse('A thing', thing) } } }, async () => ({ id: 'x' }))
  t.throws(() => ref(Type.String()), /\$id/)
})
