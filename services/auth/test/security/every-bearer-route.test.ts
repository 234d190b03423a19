/**
 * Generated from the built app's own OpenAPI document: every operation that declares bearer
 * security refuses a forged token (one of each kind in the shared catalogue), so a route added
 * later is covered without anyone remembering to list it here.
 */
import t from 'tap'
import { createPublicKey } from 'node:crypto'
import { assertRefused, bearerOperations, forgedTokens, listener, trustedSigner, type OpenApiDocument } from '@latchkey/test-support'
import { bearer, build, logIn, problemOf, registeredUser } from '../helper.js'
import { attackEnv, serviceSigningKey, snapshot } from './helper.js'

t.test('every bearer route in the OpenAPI document refuses forged tokens (ASVS 9.1.1, 8.3.1)', async t => {
  const { app, sql } = await build(t, { env: attackEnv })
  const victim = await registeredUser(app)
  const { kid, privateKey } = await serviceSigningKey(app)
  const jwks = (await app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Array<Record<string, string>> }>()
  const published = jwks.keys.find(key => key.kid === kid)
  if (published === undefined) throw new Error('signing key not in the JWKS')
  const probe = await listener(close => { t.teardown(close) })
  const catalogue = forgedTokens({
    genuine: victim.tokens.accessToken,
    publicKey: createPublicKey({ key: published, format: 'jwk' }),
    signTrusted: trustedSigner(kid, privateKey),
    listenerUrl: probe.url
  })
  // One forgery of each kind; only those no route may accept (log out takes an expired token).
  const forgeries = [...new Map(catalogue.filter(forgery => forgery.code === undefined).map(forgery => [forgery.batch, forgery])).values()]

  // The document the built app serves, so it lists exactly the routes the app has.
  const operations = bearerOperations((await app.inject({ url: '/docs/json' })).json<OpenApiDocument>())
  t.ok(operations.length >= 10, `${operations.length} bearer operations found`)
  for (const known of ['get /verify', 'get /accounts/me', 'delete /sessions/current', 'get /accounts']) {
    t.ok(operations.some(({ method, path }) => `${method} ${path}` === known), `${known} is among them`)
  }

  const before = await snapshot(sql)
  for (const { method, path } of operations) {
    const url = path.replaceAll(/\{[^}]+\}/g, victim.id)
    for (const forgery of forgeries) {
      const label = `${method.toUpperCase()} ${path} › ${forgery.batch}: ${forgery.name}`
      const response = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: bearer(forgery.token), ...(method === 'get' || method === 'delete' ? {} : { payload: {} }) })
      assertRefused(t, response, label, 401)
      t.match(response.headers['www-authenticate'], /error="invalid_token"/, label)
    }
  }
  t.equal(await snapshot(sql), before, 'no row changed')
  t.equal(probe.requests(), 0, 'no jku or x5u was fetched')
  t.equal((await app.inject({ url: '/verify', headers: bearer(victim.tokens.accessToken) })).statusCode, 200, 'the genuine token still works')
})

t.test('every bearer route documents its answer to an enrolment-only token (MFA_REQUIRED_ROLES; ASVS 6.3.3)', async t => {
  const adminEmail = `admin-${Date.now()}@example.test`
  const adminPassword = 'bootstrap admin passphrase'
  const { app } = await build(t, { env: { ...attackEnv, MFA_REQUIRED_ROLES: 'admin', BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: adminPassword } })
  const document = (await app.inject({ url: '/docs/json' })).json<OpenApiDocument>()
  const enrolmentRoutes = ['get /accounts/me/mfa', 'post /accounts/me/mfa/totp', 'post /accounts/me/mfa/totp/confirm', 'delete /sessions/current']
  for (const { method, path } of bearerOperations(document)) {
    const label = `${method.toUpperCase()} ${path}`
    // A session of its own for each route: log out (an enrolment route) would end a shared one.
    const { accessToken } = await logIn(app, adminEmail, adminPassword)
    const url = path.replaceAll(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000')
    const response = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: bearer(accessToken), ...(method === 'get' || method === 'delete' ? {} : { payload: {} }) })
    t.ok(document.paths[path]?.[method]?.responses[String(response.statusCode)], `${label} documents the ${response.statusCode} it answers`)
    if (!enrolmentRoutes.includes(`${method} ${path}`)) {
      t.equal(response.statusCode, 403, label)
      t.equal(problemOf(response).code, 'mfa_enrollment_required', label)
    }
  }
})
