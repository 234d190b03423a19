import t from 'tap'
import { createPrivateKey } from 'node:crypto'
import { bearer, build, problemOf, registeredUser } from '../../helper.js'
import { attackerKey, decodePart, signEd25519 } from '../../tokens.js'

t.test('DELETE /sessions/current', async t => {
  const { app, sql } = await build(t)

  /** The same claims, issued two hours ago with the service's own key: a genuine expired token. */
  async function issuedLongAgo (token: string): Promise<string> {
    const [row] = await sql<Array<{ privateKeyPem: string }>>`SELECT private_key_pem FROM signing_keys`
    const iat = Math.floor(Date.now() / 1000) - 7200
    return signEd25519(decodePart(token, 0), { ...decodePart(token, 1), iat, exp: iat + 900 }, createPrivateKey(row?.privateKeyPem ?? ''))
  }
  const logout = async (token?: string) => await app.inject({
    method: 'DELETE', url: '/sessions/current', headers: token === undefined ? {} : bearer(token)
  })

  t.test('answers 204 and the token is refused afterwards (ASVS 7.4.1)', async t => {
    const user = await registeredUser(app)
    t.equal((await logout(user.tokens.accessToken)).statusCode, 204)
    const after = await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })
    t.equal(after.statusCode, 401)
    t.equal(problemOf(after).code, 'token_revoked')
  })

  t.test('answers 204 again for a token whose session is already revoked', async t => {
    const user = await registeredUser(app)
    await logout(user.tokens.accessToken)
    t.equal((await logout(user.tokens.accessToken)).statusCode, 204)
  })

  t.test('answers 204 for an expired token this service issued, and ends its session', async t => {
    const user = await registeredUser(app)
    const expired = await issuedLongAgo(user.tokens.accessToken)
    const verify = await app.inject({ method: 'GET', url: '/verify', headers: bearer(expired) })
    t.equal(problemOf(verify).code, 'token_expired', 'the token really is expired')
    t.equal((await logout(expired)).statusCode, 204)
    const refresh = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
    t.equal(refresh.statusCode, 401, 'the session is over')
  })

  t.test('answers 401 for a token with a bad signature, another issuer, an unknown kid or garbage', async t => {
    const user = await registeredUser(app)
    const [header, payload, signature] = user.tokens.accessToken.split('.')
    const badSignature = `${header}.${payload}.${signature?.slice(0, -4)}AAAA`
    const claims = decodePart(user.tokens.accessToken, 1)
    const otherIssuer = signEd25519(decodePart(user.tokens.accessToken, 0), { ...claims, iss: 'https://evil.test' }, attackerKey())
    const unknownKid = signEd25519({ alg: 'EdDSA', typ: 'at+jwt', kid: 'unknown' }, claims, attackerKey())
    for (const [name, token] of [['bad signature', badSignature], ['other issuer', otherIssuer], ['unknown kid', unknownKid], ['garbage', 'garbage']] as const) {
      const response = await logout(token)
      t.equal(response.statusCode, 401, name)
      t.equal(problemOf(response).code, 'token_invalid', name)
      t.match(response.headers['www-authenticate'], /error="invalid_token"/, name)
    }
    t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200, 'the genuine session lives on')
  })

  t.test('answers 401 unauthorized without a token', async t => {
    const response = await logout()
    t.equal(response.statusCode, 401)
    t.equal(problemOf(response).code, 'unauthorized')
    t.match(response.headers['www-authenticate'], /^Bearer/)
  })
})
