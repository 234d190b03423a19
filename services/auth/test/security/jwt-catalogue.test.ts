/**
 * The jwt_tool catalogue against the auth service's own guard: GET /verify (forward auth) and
 * GET /accounts/me each refuse every forgery with 401, no forgery can log the victim out, no jku
 * or x5u is ever fetched, and after every batch the genuine token still works and no row moved.
 */
import t, { type Test } from 'tap'
import { createPublicKey } from 'node:crypto'
import { bearer, build, problemOf, registeredUser } from '../helper.js'
import { assertRefused, childProcessIds, decodePart, forgedTokens, listener, trustedSigner, type Forgery } from '@latchkey/test-support'
import { attackEnv, serviceSigningKey, snapshot } from './helper.js'

t.test('forged access tokens', async t => {
  const { app, sql } = await build(t, { env: attackEnv })
  const victim = await registeredUser(app)
  const genuine = victim.tokens.accessToken
  const { kid, privateKey } = await serviceSigningKey(app)
  const jwks = (await app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Array<Record<string, string>> }>()
  const published = jwks.keys.find(key => key.kid === kid)
  if (published === undefined) throw new Error('signing key not in the JWKS')
  const publicKey = createPublicKey({ key: published, format: 'jwk' })
  const probe = await listener(close => { t.teardown(close) })
  const forgeries = forgedTokens({ genuine, publicKey, signTrusted: trustedSigner(kid, privateKey), listenerUrl: probe.url })
  const before = await snapshot(sql)

  async function genuineStillWorks (t: Test): Promise<void> {
    const verify = await app.inject({ url: '/verify', headers: bearer(genuine) })
    t.equal(verify.statusCode, 200, 'persistence: the genuine token still passes /verify')
    t.equal(verify.headers['x-auth-subject'], victim.id)
    t.equal(verify.headers['x-auth-roles'], 'user', 'persistence: no role was gained')
    const me = await app.inject({ url: '/accounts/me', headers: bearer(genuine) })
    t.equal(me.statusCode, 200, 'persistence: the genuine token still reads /accounts/me')
    t.equal(await snapshot(sql), before, 'no account, session, revocation or outbox row changed')
  }

  async function refusedEverywhere (t: Test, forgery: Forgery): Promise<void> {
    const code = forgery.code ?? 'token_invalid'
    for (const url of ['/verify', '/accounts/me']) {
      const children = childProcessIds()
      const response = await app.inject({ url, headers: bearer(forgery.token) })
      assertRefused(t, response, `${url} ${forgery.name}`, 401)
      t.equal(problemOf(response).code, code, `${url} ${forgery.name}: ${code}`)
      t.match(response.headers['www-authenticate'], /error="invalid_token"/, `${url} ${forgery.name}: WWW-Authenticate`)
      t.notOk(response.headers['x-auth-subject'], `${url} ${forgery.name}: no subject for the gateway`)
      t.same(childProcessIds(), children, `${url} ${forgery.name}: no command was started (a kid's $(sleep 10) would still be running)`)
    }
  }

  t.test('control › a token from the test\'s trusted signer is accepted, so each refusal below is for the one rule it breaks', async t => {
    const control = trustedSigner(kid, privateKey)({}, decodePart(genuine, 1))
    const response = await app.inject({ url: '/verify', headers: bearer(control) })
    t.equal(response.statusCode, 200)
    t.equal(response.headers['x-auth-subject'], victim.id)
  })

  const batches: Array<[string, string]> = [
    ['alg none', 'refuses alg none in four casings, with an empty and with the original signature (ASVS 9.1.2, CVE-2015-2951)'],
    ['null signature', 'refuses a null or empty signature (ASVS 9.1.1, CVE-2020-28042)'],
    ['key confusion', 'refuses HS256/384/512 signed with the JWKS public key as PEM, DER, raw x and JWK (ASVS 9.1.2, CVE-2016-10555)'],
    ['blank password', 'refuses HMAC tokens signed with a blank password (CVE-2019-20933, CVE-2020-28637)'],
    ['embedded jwk', 'refuses a token carrying its own key in a jwk header (ASVS 9.1.3, CVE-2018-0114)'],
    ['x5c', 'refuses a token carrying an x5c chain (ASVS 9.1.3, RFC 8725 §3.10)'],
    ['kid injection', 'treats kid as untrusted: path traversal, blank, SQL and command-injection kids are refused at once (RFC 8725 §3.10, jwt_tool kid injection)'],
    ['typ', 'refuses a missing or wrong typ: JWT and at+JWT variants (ASVS 9.2.2, RFC 8725 §3.11, RFC 9068 §2.1)'],
    ['crit', 'refuses a crit header it does not implement (RFC 7515 §4.1.11)'],
    ['alg', 'accepts exactly EdDSA: alg Ed25519 and case variants are refused even when correctly signed (ASVS 9.1.2, RFC 9864)'],
    ['size', 'refuses a 10 KB token (ASVS 9.1.1)'],
    ['tampering', 'refuses a tampered payload or header under the original signature (ASVS 9.1.1)'],
    ['re-encoding', 'refuses re-encoded base64url (padding, alternate trailing bits, standard alphabet) and JSON serialization (RFC 8725bis, JWT cheat sheet)'],
    ['claims', 'enforces exp, nbf, iss, aud and UUID sub/sid under a valid signature (ASVS 9.2.1, 9.2.3, RFC 8725 §3.8-3.9)'],
    ['lifetime', 'refuses a correctly signed token whose exp - iat exceeds ACCESS_TOKEN_TTL (a 10-year token) or whose iat is in the future (ASVS 9.2.1, 8.3.2)']
  ]
  for (const [batch, title] of batches) {
    t.test(`GET /verify, GET /accounts/me › ${title}`, async t => {
      const inBatch = forgeries.filter(forgery => forgery.batch === batch)
      t.ok(inBatch.length > 0, `${inBatch.length} forgeries`)
      for (const forgery of inBatch) await refusedEverywhere(t, forgery)
      await genuineStillWorks(t)
    })
  }

  t.test('GET /verify, GET /accounts/me › never fetches a jku or x5u URL, whoever signed the token (ASVS 9.1.3, RFC 8725 §3.10, SSRF)', async t => {
    const pointing = forgeries.filter(forgery => forgery.batch === 'jku' || forgery.batch === 'x5u')
    t.equal(pointing.length, 6)
    for (const forgery of pointing) await refusedEverywhere(t, forgery)
    await new Promise(resolve => setTimeout(resolve, 200))
    t.equal(probe.requests(), 0, 'the listener received no request')
    await genuineStillWorks(t)
  })

  t.test('every forgery is in a batch above', async t => {
    const covered = new Set([...batches.map(([batch]) => batch), 'jku', 'x5u'])
    t.same(forgeries.filter(forgery => !covered.has(forgery.batch)).map(forgery => forgery.name), [])
  })

  t.test('DELETE /sessions/current › a forged token with the victim\'s sub and sid cannot log the victim out (ASVS 9.1.1, 7.4.1)', async t => {
    const logoutForgeries = forgeries.filter(forgery => forgery.code === undefined && !['claims', 'typ', 'crit', 'alg', 'size', 'embedded jwk', 'jku', 'x5u'].includes(forgery.batch))
    for (const forgery of logoutForgeries) {
      const response = await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(forgery.token) })
      assertRefused(t, response, `logout ${forgery.batch}: ${forgery.name}`, 401)
    }
    await genuineStillWorks(t)
  })

  t.test('DELETE /sessions/current › a correctly signed token that breaks a claims or header rule cannot log anyone out (ASVS 9.2.2)', async t => {
    const signedButWrong = forgeries.filter(forgery => ['typ', 'crit', 'alg', 'size'].includes(forgery.batch) || (forgery.batch === 'claims' && forgery.code === undefined && !forgery.name.startsWith('nbf')))
    for (const forgery of signedButWrong) {
      const response = await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(forgery.token) })
      assertRefused(t, response, `logout ${forgery.batch}: ${forgery.name}`, 401)
    }
    await genuineStillWorks(t)
  })
})
