/**
 * Generated from the built app's own OpenAPI document: every operation that declares bearer
 * security refuses a forged token (one of each kind in the shared catalogue), so a route added
 * later is covered without anyone remembering to list it here.
 */
import t from 'tap'
import { createPublicKey } from 'node:crypto'
import { assertRefused, forgedTokens, listener, trustedSigner } from '@latchkey/test-support'
import { bearer, build, registeredUser } from '../helper.js'
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
  const document = (await app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>> }>()
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    (['get', 'put', 'post', 'patch', 'delete'] as const).flatMap(method =>
      item[method]?.security?.some(requirement => 'bearerAuth' in requirement) === true ? [{ method, path }] : []))
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
