/**
 * The shared forged-token catalogue (jwt_tool, RFC 8725, ASVS 9.1 / 9.2) against the guard on its
 * own: every forgery answers 401 with its code and an invalid_token challenge, no jku / x5u is
 * fetched, and after each batch the genuine token still passes.
 */
import t from 'tap'
import { assertRefused, forgedTokens, listener, trustedSigner } from '@latchkey/test-support'
import { buildStaticApp, claims, createKey, signToken } from './helper.js'

t.test('guard › refuses every token of the forged-token catalogue (ASVS 9.1.1, 9.1.2, 9.2.1, 9.2.3)', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const genuine = await signToken(key, claims())
  const probe = await listener(close => { t.teardown(close) })
  const forgeries = forgedTokens({ genuine, publicKey: key.publicKey, signTrusted: trustedSigner(key.kid, key.privateKey), listenerUrl: probe.url })
  t.ok(forgeries.length > 100, `${forgeries.length} forgeries`)

  const control = await app.inject({ url: '/me', headers: { authorization: `Bearer ${trustedSigner(key.kid, key.privateKey)({}, claims())}` } })
  t.equal(control.statusCode, 200, 'control: the catalogue\'s trusted signer makes tokens the guard accepts')

  const batches = new Map<string, typeof forgeries>()
  for (const forgery of forgeries) batches.set(forgery.batch, [...(batches.get(forgery.batch) ?? []), forgery])
  for (const [batch, members] of batches) {
    for (const forgery of members) {
      const label = `${batch} › ${forgery.name}`
      const response = await app.inject({ url: '/admin', headers: { authorization: `Bearer ${forgery.token}` } })
      assertRefused(t, response, label, 401)
      t.equal(response.json().code, forgery.code ?? 'token_invalid', label)
      t.match(response.headers['www-authenticate'], /^Bearer realm="latchkey", error="invalid_token", error_description="[^"]+"$/, label)
    }
    const persistence = await app.inject({ url: '/me', headers: { authorization: `Bearer ${genuine}` } })
    t.equal(persistence.statusCode, 200, `after ${batch}: the genuine token still passes`)
  }
  t.equal(probe.requests(), 0, 'no jku or x5u was ever fetched')
})
