import t from 'tap'
import Fastify from 'fastify'
import { fastifySecurityHeaders } from '../src/index.js'

t.test('security headers › every API answer carries them; routes may override caching; docs keep their own CSP', async t => {
  const app = Fastify()
  await app.register(fastifySecurityHeaders, { noStore: true, hstsMaxAgeSeconds: 31536000 })
  app.get('/thing', async () => ({ ok: true }))
  app.get('/cacheable', async (_request, reply) => { void reply.header('cache-control', 'public, max-age=300'); return {} })
  app.get('/docs/page', async () => 'ui')
  const thing = await app.inject({ method: 'GET', url: '/thing' })
  t.equal(thing.headers['x-content-type-options'], 'nosniff')
  t.equal(thing.headers['referrer-policy'], 'no-referrer')
  t.equal(thing.headers['x-frame-options'], 'DENY')
  t.equal(thing.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'")
  t.equal(thing.headers['cache-control'], 'no-store')
  t.equal(thing.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains')
  t.equal((await app.inject({ method: 'GET', url: '/nowhere' })).headers['x-content-type-options'], 'nosniff', '404s too')
  t.equal((await app.inject({ method: 'GET', url: '/cacheable' })).headers['cache-control'], 'public, max-age=300')
  const docs = await app.inject({ method: 'GET', url: '/docs/page' })
  t.notOk(docs.headers['content-security-policy'])
  t.notOk(docs.headers['cache-control'])
  t.equal(docs.headers['x-content-type-options'], 'nosniff')
})

t.test('security headers › no HSTS and no cache policy unless asked', async t => {
  const app = Fastify()
  await app.register(fastifySecurityHeaders)
  app.get('/thing', async () => ({ ok: true }))
  const response = await app.inject({ method: 'GET', url: '/thing' })
  t.notOk(response.headers['strict-transport-security'])
  t.notOk(response.headers['cache-control'])
})
