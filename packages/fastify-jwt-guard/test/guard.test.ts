/** The guard over HTTP: the happy path, the 401/403 answers and the time rules (RFC 6750, RFC 9068, ASVS 3.5/9.2). */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildStaticApp, claims, createKey, signToken, type ClaimsInput } from './helper.js'
import { createStaticKeySource } from '../src/index.js'

const INVALID_TOKEN = 'Bearer realm="latchkey", error="invalid_token", error_description="The access token is not valid"'
const EXPIRED_TOKEN = 'Bearer realm="latchkey", error="invalid_token", error_description="The access token has expired"'

t.test('accepts a valid token and sets request.auth from its claims', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const payload = claims({ roles: ['user', 'admin'] })
  const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${await signToken(key, payload)}` } })
  t.equal(response.statusCode, 200)
  const auth = response.json().auth
  t.match(auth, { sub: payload.sub, sid: payload.sid, jti: payload.jti, roles: ['user', 'admin'], iat: payload.iat, exp: payload.exp })
})

t.test('accepts the typ application/at+jwt and a lower-case bearer scheme (RFC 9068 §2.1, RFC 7235 §2.1)', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const token = await signToken(key, claims(), { typ: 'application/at+jwt' })
  const response = await app.inject({ url: '/me', headers: { authorization: `bearer ${token}` } })
  t.equal(response.statusCode, 200)
})

t.test('answers 401 unauthorized with WWW-Authenticate when no token is sent (RFC 6750 §3)', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer    ']) {
    const response = await app.inject({ url: '/me', headers: authorization === undefined ? {} : { authorization } })
    t.equal(response.statusCode, 401, authorization ?? 'no header')
    t.equal(response.headers['www-authenticate'], 'Bearer realm="latchkey"')
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    t.equal(response.json().code, 'unauthorized')
  }
})

t.test('answers 403 forbidden from requireRole when the role is missing, 200 when present (ASVS 4.1.1)', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const user = await app.inject({ url: '/admin', headers: { authorization: `Bearer ${await signToken(key, claims({ roles: ['user'] }))}` } })
  t.equal(user.statusCode, 403)
  t.equal(user.json().code, 'forbidden')
  const admin = await app.inject({ url: '/admin', headers: { authorization: `Bearer ${await signToken(key, claims({ roles: ['user', 'admin'] }))}` } })
  t.equal(admin.statusCode, 200)
})

t.test('answers 401 token_expired once now >= exp, with no leeway by default (RFC 7519 §4.1.4)', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const now = Math.floor(Date.now() / 1000)
  const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${await signToken(key, claims({ iat: now - 100, exp: now }))}` } })
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, 'token_expired')
  t.equal(response.headers['www-authenticate'], EXPIRED_TOKEN)
})

t.test('honours the configured leeway for exp and nbf, and not a second more (RFC 7519 §4.1.4, §4.1.5)', async t => {
  const key = await createKey()
  let nowMs = Date.now()
  const { app } = await buildStaticApp(t, [key], { leewaySeconds: 30, now: () => nowMs })
  const nowS = Math.floor(nowMs / 1000)
  const expired = await signToken(key, claims({ iat: nowS - 200, exp: nowS - 20 }))
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${expired}` } })).statusCode, 200, 'expired 20 s ago, leeway 30 s')
  const early = await signToken(key, claims({ nbf: nowS + 20 }))
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${early}` } })).statusCode, 200, 'nbf 20 s ahead, leeway 30 s')
  nowMs += 11_000
  const late = await app.inject({ url: '/me', headers: { authorization: `Bearer ${expired}` } })
  t.equal(late.json().code, 'token_expired', 'expired 31 s ago, leeway 30 s')
  const tooEarly = await signToken(key, claims({ nbf: Math.floor(nowMs / 1000) + 31 }))
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${tooEarly}` } })).json().code, 'token_invalid')
})

t.test('answers 401 token_invalid for an nbf in the future (RFC 7519 §4.1.5)', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const token = await signToken(key, claims({ nbf: Math.floor(Date.now() / 1000) + 60 }))
  const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, 'token_invalid')
  t.equal(response.headers['www-authenticate'], INVALID_TOKEN)
})

t.test('rejects a wrong issuer, a wrong audience and a wrong typ (RFC 8725 §3.8, §3.9, §3.11)', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const tokens = {
    issuer: await signToken(key, claims({ iss: 'https://evil.example' })),
    audience: await signToken(key, claims({ aud: 'another-api' })),
    typ: await signToken(key, claims(), { typ: 'JWT' })
  }
  for (const [name, token] of Object.entries(tokens)) {
    const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(response.statusCode, 401, name)
    t.equal(response.json().code, 'token_invalid', name)
  }
  const listed = await signToken(key, claims({ aud: ['another-api', 'latchkey'] }))
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${listed}` } })).statusCode, 200, 'aud array containing ours is accepted')
})

t.test('rejects claims of the wrong shape: non-UUID sub, missing sid, string roles, fractional exp', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const now = Math.floor(Date.now() / 1000)
  const payloads = [
    { ...claims(), sub: 'admin' },
    { ...claims(), sid: undefined },
    { ...claims(), roles: 'admin' as unknown as string[] },
    { ...claims(), exp: now + 900.5 }
  ]
  for (const payload of payloads) {
    const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${await signToken(key, payload)}` } })
    t.equal(response.json().code, 'token_invalid')
  }
})

t.test('a cached token still expires and is still revoked later (ASVS 3.5.2)', async t => {
  const key = await createKey()
  // The real clock until the expiry step: a clock fixed before minting made a token whose iat fell
  // in the next second look issued in the future.
  const clock: { fixedMs?: number } = {}
  const { app, view, feed, verifier } = await buildStaticApp(t, [key], { now: () => clock.fixedMs ?? Date.now() })
  const payload = claims()
  const token = await signToken(key, payload)
  const headers = { authorization: `Bearer ${token}` }
  t.equal((await app.inject({ url: '/me', headers })).statusCode, 200)
  const first = verifier.check(token)
  t.equal(verifier.check(token), first, 'a cache hit answers synchronously with the same object')

  await feed.publish([{ kind: 'session', sid: payload.sid, expiresAt: Date.now() + 60_000 }])
  t.equal(view.isRevoked(payload.sid, payload.sub, payload.iat), true)
  const revoked = await app.inject({ url: '/me', headers })
  t.equal(revoked.statusCode, 401)
  t.equal(revoked.json().code, 'token_revoked')

  const other = claims()
  const otherToken = await signToken(key, other)
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${otherToken}` } })).statusCode, 200)
  clock.fixedMs = (other.exp * 1000) + 1
  const expired = await app.inject({ url: '/me', headers: { authorization: `Bearer ${otherToken}` } })
  t.equal(expired.json().code, 'token_expired')
})

t.test('a cached token is refused once its session is revoked, for a sid in the compact table or in its fallback (upper case, nil UUID)', async t => {
  const key = await createKey()
  const { app, feed } = await buildStaticApp(t, [key])
  for (const sid of [randomUUID(), randomUUID().toUpperCase(), '00000000-0000-0000-0000-000000000000']) {
    const headers = { authorization: `Bearer ${await signToken(key, claims({ sid }))}` }
    t.equal((await app.inject({ url: '/me', headers })).statusCode, 200, `${sid}: accepted, now cached`)
    await feed.publish([{ kind: 'session', sid, expiresAt: Date.now() + 60_000 }])
    t.equal((await app.inject({ url: '/me', headers })).json().code, 'token_revoked', `${sid}: refused`)
  }
})

t.test('the verifier reports claims for expired and revoked tokens, never the token in its detail', async t => {
  const key = await createKey()
  const { verifier, feed } = await buildStaticApp(t, [key])
  const now = Math.floor(Date.now() / 1000)
  const expiredToken = await signToken(key, claims({ iat: now - 800, exp: now - 10 }))
  const expired = await verifier.check(expiredToken)
  t.match(expired, { ok: false, reason: 'expired', claims: { exp: now - 10 } })
  const payload = claims()
  await feed.publish([{ kind: 'account', sub: payload.sub, minVersion: 1, expiresAt: Date.now() + 60_000 }])
  const token = await signToken(key, payload)
  const revoked = await verifier.check(token)
  t.match(revoked, { ok: false, reason: 'revoked', claims: { sub: payload.sub } })
  t.notOk(!revoked.ok && revoked.detail.includes(token), 'detail does not contain the token')
})

t.test('the cache is bounded: the oldest token is verified again after eviction', async t => {
  const key = await createKey()
  const { verifier } = await buildStaticApp(t, [key], { cacheSize: 2 })
  const [t0, t1, t2] = await Promise.all([1, 2, 3].map(async () => await signToken(key, claims())))
  const first = [t0, t1, t2].map(token => verifier.check(token as string))
  for (const result of first) t.match(result, { ok: true })
  t.equal(verifier.check(t2 as string), first[2], 'the newest token is still cached')
  const again = verifier.check(t0 as string)
  t.match(again, { ok: true })
  t.not(again, first[0], 'the oldest was evicted and verified afresh')
})

t.test('a token in use stays cached while a stream of new tokens passes through the cache', async t => {
  const key = await createKey()
  const { verifier } = await buildStaticApp(t, [key], { cacheSize: 4 })
  const inUse = await signToken(key, claims())
  const first = verifier.check(inUse)
  t.match(first, { ok: true })
  const passing = await Promise.all(Array.from({ length: 12 }, async () => await signToken(key, claims())))
  const passed = passing.map(token => {
    const check = verifier.check(token)
    t.match(check, { ok: true })
    t.equal(verifier.check(inUse), first, 'the token in use is answered from the cache')
    return check
  })
  const again = verifier.check(passing[0] as string)
  t.match(again, { ok: true })
  t.not(again, passed[0], 'a token not used since was evicted and verified afresh')
})

t.test('allows the leeway on iat and on the lifetime bound, and not a second more', async t => {
  const key = await createKey()
  const nowMs = Date.now()
  const { app } = await buildStaticApp(t, [key], { leewaySeconds: 30, maxLifetimeSeconds: 600, now: () => nowMs })
  const nowS = Math.floor(nowMs / 1000)
  const status = async (input: ClaimsInput): Promise<number> =>
    (await app.inject({ url: '/me', headers: { authorization: `Bearer ${await signToken(key, claims(input))}` } })).statusCode
  t.equal(await status({ iat: nowS + 30, exp: nowS + 630 }), 200, 'iat 30 s ahead, leeway 30 s')
  t.equal(await status({ iat: nowS + 31, exp: nowS + 631 }), 401, 'iat 31 s ahead, leeway 30 s')
  t.equal(await status({ iat: nowS, exp: nowS + 630 }), 200, 'lifetime 630 s, bound 600 s + leeway 30 s')
  t.equal(await status({ iat: nowS, exp: nowS + 631 }), 401, 'lifetime 631 s, bound 600 s + leeway 30 s')
})

t.test('a cached token dies once its signing key is withdrawn: by a key revocation, or by leaving the key set (ASVS 13.3.4, RFC 7517 §4.5)', async t => {
  const [key, other] = [await createKey(), await createKey()]
  const keys = createStaticKeySource({ keys: [key.jwk, other.jwk] })
  const { app, feed } = await buildStaticApp(t, [key, other], { keys })
  const me = async (token: string) => await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  const [revokedKeyToken, removedKeyToken, keptToken] = [await signToken(key), await signToken(key), await signToken(other)]
  for (const token of [revokedKeyToken, keptToken]) t.equal((await me(token)).statusCode, 200, 'verified and cached')

  await feed.publish([{ kind: 'key', kid: key.kid, expiresAt: Date.now() + 60_000 }])
  const refused = await me(revokedKeyToken)
  t.equal(refused.statusCode, 401, 'the cached token of the withdrawn key is refused')
  t.equal(refused.json().code, 'token_invalid')
  t.equal((await me(removedKeyToken)).statusCode, 401, 'and so is an uncached one')
  t.equal((await me(keptToken)).statusCode, 200, 'tokens of another key live on')

  keys.setKeys({ keys: [key.jwk] })
  t.equal((await me(keptToken)).statusCode, 401, 'a cached token whose key left the key set is refused')
})
