import t from 'tap'
import { build } from '../helper.js'

t.test('security headers of every answer (ASVS 3.4.4, 3.4.5, 3.4.6, 14.3.2)', async t => {
  const { app } = await build(t)
  for (const url of ['/health/live', '/verify', '/accounts/me', '/nothing']) {
    const response = await app.inject({ method: 'GET', url })
    t.equal(response.headers['x-content-type-options'], 'nosniff', url)
    t.equal(response.headers['referrer-policy'], 'no-referrer', url)
    t.equal(response.headers['x-frame-options'], 'DENY', url)
    t.match(response.headers['content-security-policy'], /frame-ancestors 'none'/, url)
    t.equal(response.headers['cache-control'], 'no-store', url)
    t.notOk(response.headers['strict-transport-security'], 'no HSTS unless configured')
    t.notOk(response.headers['x-powered-by'])
  }
})

t.test('CORS is off unless CORS_ORIGINS allows an origin (ASVS 3.4.2)', async t => {
  const { app: closed } = await build(t)
  const none = await closed.inject({ method: 'OPTIONS', url: '/sessions', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
  t.notOk(none.headers['access-control-allow-origin'])

  const { app } = await build(t, { env: { CORS_ORIGINS: 'https://app.example', HSTS_MAX_AGE: '31536000' } })
  const allowed = await app.inject({ method: 'OPTIONS', url: '/sessions', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example')
  const other = await app.inject({ method: 'OPTIONS', url: '/sessions', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
  t.notOk(other.headers['access-control-allow-origin'])
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', 'HSTS when configured (ASVS 3.4.1)')
})
