import t from 'tap'
import { createPublicKey } from 'node:crypto'
import { bearer, build, problemOf, registeredUser } from '../../helper.js'
import { attackerKey, b64url, decodePart, signEd25519, signHs256 } from '../../tokens.js'

t.test('GET /verify', async t => {
  const { app } = await build(t)
  const user = await registeredUser(app)
  const verify = async (token: string) => await app.inject({ method: 'GET', url: '/verify', headers: bearer(token) })

  t.test('answers 200 with sub, sid, roles, exp and the X-Auth headers', async t => {
    const response = await verify(user.tokens.accessToken)
    t.equal(response.statusCode, 200)
    t.same(Object.keys(response.json()).sort(), ['exp', 'roles', 'sid', 'sub'])
    t.equal(response.headers['x-auth-subject'], user.id)
    t.equal(response.headers['x-auth-session'], user.tokens.sessionId)
    t.equal(response.headers['x-auth-roles'], 'user')
    t.equal(response.headers['cache-control'], 'no-store')
  })

  t.test('answers exactly the contract\'s headers, over real HTTP as a gateway reads them', async t => {
    // The hot path sets its headers by hand for speed: none may go missing or change.
    await app.listen({ port: 0, host: '127.0.0.1' })
    const response = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/verify`, { headers: bearer(user.tokens.accessToken) })
    t.equal(response.status, 200)
    const headers = Object.fromEntries([...response.headers].filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name)))
    t.match(headers['x-request-id'], /^[0-9a-f-]{36}$/)
    t.same({ ...headers, 'x-request-id': 'id' }, {
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(await response.text())),
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'content-type': 'application/json; charset=utf-8',
      'referrer-policy': 'no-referrer',
      'x-auth-amr': 'pwd',
      'x-auth-roles': 'user',
      'x-auth-session': user.tokens.sessionId,
      'x-auth-subject': user.id,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'x-request-id': 'id'
    })
  })

  t.test('refuses forged tokens with 401 token_invalid (ASVS 9.1.1, 9.1.2, 9.1.3, 9.2.2, 9.2.3; RFC 8725 3.1)', async t => {
    const header = decodePart(user.tokens.accessToken, 0)
    const claims = decodePart(user.tokens.accessToken, 1)
    const [h, p] = user.tokens.accessToken.split('.')
    const jwks = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
    const publicKeyBytes = createPublicKey({ key: jwks.keys[0], format: 'jwk' }).export({ format: 'pem', type: 'spki' })
    const forgeries: Record<string, string> = {
      'alg none': `${b64url({ ...header, alg: 'none' })}.${p}.`,
      'alg None with a signature': `${b64url({ ...header, alg: 'None' })}.${p}.${user.tokens.accessToken.split('.')[2]}`,
      'HS256 signed with the public key (CVE-2016-10555)': signHs256({ ...header, alg: 'HS256' }, claims, publicKeyBytes),
      'tampered payload (roles admin)': `${h}.${b64url({ ...claims, roles: ['admin'] })}.${user.tokens.accessToken.split('.')[2]}`,
      'unknown kid': signEd25519({ ...header, kid: 'someone-else' }, claims, attackerKey()),
      'attacker key under our kid': signEd25519(header, claims, attackerKey()),
      'wrong issuer': signEd25519(header, { ...claims, iss: 'https://evil.test' }, attackerKey()),
      'wrong typ': `${b64url({ ...header, typ: 'JWT' })}.${p}.${user.tokens.accessToken.split('.')[2]}`,
      'null signature (CVE-2020-28042)': `${h}.${p}.`,
      '10 KB token': `${h}.${b64url({ ...claims, pad: 'x'.repeat(10_000) })}.${user.tokens.accessToken.split('.')[2]}`
    }
    for (const [name, token] of Object.entries(forgeries)) {
      const response = await verify(token)
      t.equal(response.statusCode, 401, name)
      t.equal(problemOf(response).code, 'token_invalid', name)
    }
    t.equal((await verify(user.tokens.accessToken)).statusCode, 200, 'the genuine token still works')
  })

  t.test('answers 401 token_expired for an expired token', async t => {
    const { app: other } = await build(t)
    const someone = await registeredUser(other)
    const iat = Math.floor(Date.now() / 1000) - 1000
    const expired = signEd25519(decodePart(someone.tokens.accessToken, 0), { ...decodePart(someone.tokens.accessToken, 1), iat, exp: iat + 900 }, other.signingKeys.signingKey().privateKey)
    const response = await other.inject({ method: 'GET', url: '/verify', headers: bearer(expired) })
    t.equal(response.statusCode, 401)
    t.equal(problemOf(response).code, 'token_expired')
  })

  t.test('answers 401 unauthorized with WWW-Authenticate when no token is sent', async t => {
    const response = await app.inject({ method: 'GET', url: '/verify' })
    t.equal(response.statusCode, 401)
    t.equal(problemOf(response).code, 'unauthorized')
    t.match(response.headers['www-authenticate'], /^Bearer realm="latchkey"$/)
  })
})
