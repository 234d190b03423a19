import t from 'tap'
import { createServiceApp, health, type ReadinessChecks } from '../src/index.js'
import { HealthSchema } from '@latchkey/contracts'

async function withChecks (checks: ReadinessChecks) {
  const app = createServiceApp({ service: 'users', logLevel: 'silent', nodeEnv: 'test', trustedProxies: [] })
  app.addSchema(HealthSchema)
  await app.register(health, { checks })
  return app
}

t.test('GET /health/live › answers ok whatever the dependencies say', async t => {
  const app = await withChecks({ postgres: () => false })
  t.teardown(async () => { await app.close() })
  const response = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok' })
})

t.test('GET /health/ready › 200 naming every check when all pass', async t => {
  const app = await withChecks({ postgres: async () => true, revocations: () => true })
  t.teardown(async () => { await app.close() })
  const response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok', checks: { postgres: 'ok', revocations: 'ok' } })
})

t.test('GET /health/ready › 503 naming the check that is false, throws or never answers', async t => {
  const app = await withChecks({
    fine: () => true,
    down: () => false,
    broken: async () => { throw new Error('connection refused') },
    hung: async () => await new Promise<boolean>(() => {})
  })
  t.teardown(async () => { await app.close() })
  const response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 503)
  t.same(response.json(), { status: 'unavailable', checks: { fine: 'ok', down: 'failing', broken: 'failing', hung: 'failing' } })
})
