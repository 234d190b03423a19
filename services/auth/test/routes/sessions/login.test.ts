import t from 'tap'
import type { Algorithm } from '@node-rs/argon2'
import { bearer, build, logIn, problemOf, register, registeredUser, strongPassword, uniqueEmail } from '../../helper.js'

t.test('POST /sessions', async t => {
  const { app, sql } = await build(t)

  t.test('answers 201 with a token pair and the session in Location', async t => {
    const { email } = await register(app)
    const response = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: strongPassword }, headers: { 'user-agent': 'tap' } })
    t.equal(response.statusCode, 201)
    const pair = response.json()
    t.equal(response.headers.location, `/sessions/${pair.sessionId}`)
    t.equal(pair.tokenType, 'Bearer')
    t.equal(pair.expiresIn, 900)
    t.equal(pair.refreshExpiresIn, 2592000)
    t.match(pair.refreshToken, /^[A-Za-z0-9_-]{92}$/)
    t.equal(response.headers['cache-control'], 'no-store')
  })

  t.test('answers an unknown email and a wrong password with the same 401 body (ASVS 6.3.8)', async t => {
    const { email } = await register(app)
    const wrong = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: 'not the password at all' } })
    const unknown = await app.inject({ method: 'POST', url: '/sessions', payload: { email: uniqueEmail(), password: 'not the password at all' } })
    t.equal(wrong.statusCode, 401)
    t.equal(unknown.statusCode, 401)
    t.equal(wrong.body, unknown.body)
    t.equal(problemOf(wrong).code, 'invalid_credentials')
  })

  t.test('makes a new session at every login, so devices stay logged in independently', async t => {
    const { email } = await register(app)
    const first = await logIn(app, email)
    const second = await logIn(app, email)
    t.not(first.sessionId, second.sessionId)
    const list = await app.inject({ method: 'GET', url: '/sessions', headers: bearer(second.accessToken) })
    t.equal(list.statusCode, 200)
    const items = list.json().items as Array<{ id: string, current: boolean }>
    t.same(items.map(s => s.id).sort(), [first.sessionId, second.sessionId].sort())
    t.same(items.find(s => s.current)?.id, second.sessionId)
  })

  t.test('re-hashes a password made with other parameters at login (ASVS 11.4.2)', async t => {
    const { id, email } = await register(app)
    const { hash } = await import('@node-rs/argon2')
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- Algorithm.Argon2id, a const enum isolated modules cannot read
    const weak = await hash(strongPassword, { algorithm: 2 as Algorithm, memoryCost: 8192, timeCost: 1, parallelism: 1 })
    await sql`UPDATE accounts SET password_hash = ${weak} WHERE id = ${id}`
    await logIn(app, email)
    const [row] = await sql<Array<{ passwordHash: string }>>`SELECT password_hash FROM accounts WHERE id = ${id}`
    t.match(row?.passwordHash, /m=19456,t=2,p=1/)
  })

  t.test('answers 403 account_disabled to a disabled account with the right password only', async t => {
    const { id, email } = await register(app)
    await sql`UPDATE accounts SET status = 'disabled' WHERE id = ${id}`
    const right = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: strongPassword } })
    t.equal(right.statusCode, 403)
    t.equal(problemOf(right).code, 'account_disabled')
    const wrong = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: 'a wrong password here' } })
    t.equal(problemOf(wrong).code, 'invalid_credentials')
  })

  t.test('issues an access token that verifies with jose against the JWKS (an independent verifier)', async t => {
    const { jwtVerify, createLocalJWKSet } = await import('jose')
    const user = await registeredUser(app)
    const jwks = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    t.equal(jwks.statusCode, 200)
    t.match(jwks.headers['cache-control'], /public/)
    const keys = jwks.json()
    t.equal(keys.keys[0].kty, 'OKP')
    t.equal(keys.keys[0].crv, 'Ed25519')
    t.notOk('d' in keys.keys[0], 'no private part in the JWKS')
    const { payload, protectedHeader } = await jwtVerify(user.tokens.accessToken, createLocalJWKSet(keys), {
      algorithms: ['EdDSA'], issuer: 'http://auth.test', audience: 'latchkey', typ: 'at+jwt'
    })
    t.equal(protectedHeader.kid, keys.keys[0].kid)
    t.equal(payload.sub, user.id)
    t.equal(payload.sid, user.tokens.sessionId)
    t.same(payload.roles, ['user'])
    t.type(payload.jti, 'string')
    t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 900)
  })
})
