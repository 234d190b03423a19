import t from 'tap'
import { build } from '../helper.js'

t.test('CORS is off unless CORS_ORIGINS allows an origin; HSTS only when configured (ASVS 3.4.1, 3.4.2)', async t => {
  const closed = await build(t)
  const preflight = { method: 'OPTIONS' as const, url: '/users/me', headers: { origin: 'https://app.example', 'access-control-request-method': 'PATCH' } }
  t.notOk((await closed.app.inject(preflight)).headers['access-control-allow-origin'])
  t.notOk((await closed.app.inject({ method: 'GET', url: '/health/live' })).headers['strict-transport-security'])

  const open = await build(t, { env: { CORS_ORIGINS: 'https://app.example', HSTS_MAX_AGE: '31536000' } })
  t.equal((await open.app.inject(preflight)).headers['access-control-allow-origin'], 'https://app.example')
  const evil = await open.app.inject({ ...preflight, headers: { ...preflight.headers, origin: 'https://evil.example' } })
  t.notOk(evil.headers['access-control-allow-origin'])
  t.equal((await open.app.inject({ method: 'GET', url: '/health/live' })).headers['strict-transport-security'], 'max-age=31536000; includeSubDomains')
})
