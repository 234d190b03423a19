import t from 'tap'
import { skipWithoutRedis, startOwnRedis } from '@latchkey/test-support'
import { bearer, build, eventually, problemOf, registeredUser } from '../../helper.js'
import { attackerKey, decodePart, signEd25519 } from '../../tokens.js'

t.test('DELETE /sessions/current', async t => {
  const { app } = await build(t)

  /** The same claims, issued two hours ago with the service's own key: a genuine expired token. */
  async function issuedLongAgo (token: string): Promise<string> {
    const iat = Math.floor(Date.now() / 1000) - 7200
    return signEd25519(decodePart(token, 0), { ...decodePart(token, 1), iat, exp: iat + 900 }, app.signingKeys.signingKey().privateKey)
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

t.test('DELETE /sessions/current while the revocation view is stale', { skip: await skipWithoutRedis() }, async t => {
  const redis = await startOwnRedis()
  t.teardown(async () => { await redis.stop() })
  const { app, sql } = await build(t, { redisUrl: redis.url, env: { REVOCATION_MAX_STALENESS: '1' } })
  const user = await registeredUser(app)
  await redis.stop()
  t.ok(await eventually(async () => (await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode === 503, 10_000, 100),
    'the view is stale: /verify answers 503')

  const response = await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(user.tokens.accessToken) })
  t.equal(response.statusCode, 204, 'log out still ends the session (ASVS 7.4.1)')
  const [session] = await sql<Array<{ revokedAt: Date | null }>>`SELECT revoked_at FROM sessions WHERE id = ${user.tokens.sessionId}`
  t.not(session?.revokedAt ?? null, null, 'the session is revoked in PostgreSQL')

  await redis.start()
  t.ok(await eventually(async () => problemOf(await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).code === 'token_revoked', 10_000, 100),
    'once the view is fresh again the access token is refused as revoked')
  const refresh = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
  t.equal(refresh.statusCode, 401, 'its refresh token is dead')
})

t.test('DELETE /sessions/current answers 503 while PostgreSQL is away, and the session lives on until a retry succeeds', async t => {
  const { app, databaseProxy: proxy } = await build(t, { databaseProxy: true })
  if (proxy === undefined) throw new Error('no database proxy')
  const user = await registeredUser(app)
  await proxy.cut()
  const response = await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(user.tokens.accessToken) })
  t.equal(response.statusCode, 503)
  t.equal(problemOf(response).code, 'service_unavailable')
  t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200, 'nothing was revoked')
  await proxy.restore()
  t.ok(await eventually(async () => (await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(user.tokens.accessToken) })).statusCode === 204, 10_000, 200))
  t.equal(problemOf(await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).code, 'token_revoked')
})
