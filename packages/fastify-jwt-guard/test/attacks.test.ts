/**
 * The forged-token catalogue (jwt_tool, RFC 8725, ASVS 9.1/9.2): every forgery answers 401
 * token_invalid, and the same server still accepts a genuine token afterwards.
 */
import t, { type Test } from 'tap'
import { createHmac } from 'node:crypto'
import { exportJWK } from 'jose'
import { b64url, buildStaticApp, claims, createKey, rawToken, signToken, type TestKey } from './helper.js'
import type { FastifyInstance } from 'fastify'

async function expectInvalid (t: Test, app: FastifyInstance, token: string, name: string): Promise<void> {
  const response = await app.inject({ url: '/admin', headers: { authorization: `Bearer ${token}` } })
  t.equal(response.statusCode, 401, name)
  t.equal(response.json().code, 'token_invalid', name)
  t.equal(response.headers['www-authenticate'], 'Bearer realm="latchkey", error="invalid_token", error_description="The access token is not valid"', name)
}

async function setup (t: Test): Promise<{ app: FastifyInstance, key: TestKey, attacker: TestKey }> {
  const key = await createKey()
  const attacker = await createKey()
  const { app } = await buildStaticApp(t, [key])
  t.teardown(async () => {
    const genuine = await app.inject({ url: '/me', headers: { authorization: `Bearer ${await signToken(key)}` } })
    if (genuine.statusCode !== 200) throw new Error('the genuine token stopped working')
  })
  return { app, key, attacker }
}

const adminClaims = (): ReturnType<typeof claims> => claims({ roles: ['user', 'admin'] })

t.test('rejects alg none in four casings, with an empty and with a garbage signature (ASVS 9.1.2, CVE-2015-2951)', async t => {
  const { app, key } = await setup(t)
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsigned = rawToken({ alg, typ: 'at+jwt', kid: key.kid }, adminClaims())
    await expectInvalid(t, app, unsigned, `${alg}, empty signature`)
    await expectInvalid(t, app, `${unsigned}${b64url('garbage-signature')}`, `${alg}, garbage signature`)
  }
})

t.test('rejects a null signature: EdDSA header with an empty or all-zero signature (CVE-2020-28042)', async t => {
  const { app, key } = await setup(t)
  const unsigned = rawToken({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid }, adminClaims())
  await expectInvalid(t, app, unsigned, 'empty signature')
  await expectInvalid(t, app, `${unsigned}${Buffer.alloc(64).toString('base64url')}`, '64 zero bytes')
})

t.test('rejects HS256 signed with the public key bytes (algorithm confusion, RFC 8725 §2.1, CVE-2016-10555)', async t => {
  const { app, key } = await setup(t)
  const header = { alg: 'HS256', typ: 'at+jwt', kid: key.kid }
  const input = `${b64url(header)}.${b64url(adminClaims())}`
  const secrets = [
    Buffer.from(key.jwk.x, 'base64url'),
    Buffer.from(key.jwk.x),
    Buffer.from(key.publicKey.export({ format: 'pem', type: 'spki' }))
  ]
  for (const secret of secrets) {
    await expectInvalid(t, app, `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`, 'HS256')
  }
  const ed25519Alg = rawToken({ alg: 'Ed25519', typ: 'at+jwt', kid: key.kid }, adminClaims(), key.privateKey)
  await expectInvalid(t, app, ed25519Alg, 'alg Ed25519 is not on the allow-list even when correctly signed')
})

t.test('rejects a token carrying its own key in an embedded jwk header (CVE-2018-0114)', async t => {
  const { app, key, attacker } = await setup(t)
  const jwk = await exportJWK(attacker.publicKey)
  await expectInvalid(t, app, rawToken({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, jwk }, adminClaims(), attacker.privateKey), 'jwk + our kid')
  await expectInvalid(t, app, rawToken({ alg: 'EdDSA', typ: 'at+jwt', kid: attacker.kid, jwk }, adminClaims(), attacker.privateKey), 'jwk + its own kid')
  await expectInvalid(t, app, rawToken({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, jwk: await exportJWK(key.publicKey) }, adminClaims(), key.privateKey), 'even a jwk header with our own key')
})

t.test('rejects jku, x5u, x5c and crit headers, which point at or carry other keys (RFC 8725 §3.10, RFC 7515 §4.1.11)', async t => {
  const { app, key } = await setup(t)
  const extras = [
    { jku: 'https://evil.example/jwks.json' },
    { x5u: 'https://evil.example/cert.pem' },
    { x5c: ['MIIB'] },
    { crit: ['exp'] }
  ]
  for (const extra of extras) {
    await expectInvalid(t, app, rawToken({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, ...extra }, adminClaims(), key.privateKey), Object.keys(extra)[0] as string)
  }
})

t.test('treats kid only as a map key: path traversal, SQL and prototype kids are unknown kids (jwt_tool kid injection)', async t => {
  const { app, attacker } = await setup(t)
  for (const kid of ['../../dev/null', '/dev/null', "x' UNION SELECT 'key' --", '__proto__', 'constructor', '', 'k'.repeat(129)]) {
    await expectInvalid(t, app, rawToken({ alg: 'EdDSA', typ: 'at+jwt', kid }, adminClaims(), attacker.privateKey), `kid ${kid.slice(0, 20)}`)
  }
})

t.test('rejects an unknown kid and a token with no kid', async t => {
  const { app, attacker } = await setup(t)
  await expectInvalid(t, app, await signToken(attacker, adminClaims()), 'unknown kid')
  await expectInvalid(t, app, rawToken({ alg: 'EdDSA', typ: 'at+jwt' }, adminClaims(), attacker.privateKey), 'no kid')
})

t.test('rejects a tampered payload: roles raised to admin under the original signature (ASVS 9.2.1)', async t => {
  const { app, key } = await setup(t)
  const [header, , signature] = (await signToken(key, claims({ roles: ['user'] }))).split('.')
  await expectInvalid(t, app, `${header as string}.${b64url(adminClaims())}.${signature as string}`, 'tampered')
})

t.test('rejects a signature from another Ed25519 key under our kid', async t => {
  const { app, key, attacker } = await setup(t)
  await expectInvalid(t, app, rawToken({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid }, adminClaims(), attacker.privateKey), 'wrong key')
})

t.test('rejects a missing or wrong typ (RFC 8725 §3.11, RFC 9068 §4)', async t => {
  const { app, key } = await setup(t)
  for (const typ of [undefined, 'JWT', 'AT+JWT', 'jwt', 'application/jwt']) {
    const header = typ === undefined ? { alg: 'EdDSA', kid: key.kid } : { alg: 'EdDSA', typ, kid: key.kid }
    await expectInvalid(t, app, rawToken(header, adminClaims(), key.privateKey), `typ ${typ ?? 'missing'}`)
  }
})

t.test('rejects a 10 KB token before parsing it', async t => {
  const { app, key } = await setup(t)
  const token = rawToken({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid }, { ...adminClaims(), pad: 'x'.repeat(10_000) }, key.privateKey)
  t.ok(token.length > 10_000)
  await expectInvalid(t, app, token, '10 KB')
})

t.test('rejects non-canonical encodings: base64 padding, standard-alphabet characters, extra parts', async t => {
  const { app, key } = await setup(t)
  const token = await signToken(key, adminClaims())
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const pad = (part: string): string => part + '='.repeat((4 - part.length % 4) % 4)
  await expectInvalid(t, app, `${pad(header)}.${pad(payload)}.${pad(signature)}`, 'padded')
  await expectInvalid(t, app, `${header}.${payload}.${signature}==`, 'padded signature')
  const standard = Buffer.from(payload, 'base64url').toString('base64').replace(/=+$/, '')
  if (standard !== payload) await expectInvalid(t, app, `${header}.${standard}.${signature}`, 'standard alphabet')
  await expectInvalid(t, app, `${token}.${signature}`, 'four parts')
  await expectInvalid(t, app, `${header}.${payload}`, 'two parts')
  await expectInvalid(t, app, 'not-a-token', 'one part')
  const malleable = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A')
  await expectInvalid(t, app, `${header}.${payload}.${malleable}`, 'changed signature')
})

t.test('rejects a header or payload that is not a JSON object', async t => {
  const { app, key } = await setup(t)
  await expectInvalid(t, app, `${b64url('not json')}.${b64url(adminClaims())}.${b64url('x')}`, 'header not JSON')
  await expectInvalid(t, app, rawToken({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid }, ['array'], key.privateKey), 'payload array')
  await expectInvalid(t, app, `${b64url({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })}.${b64url('{nope')}.${Buffer.alloc(64).toString('base64url')}`, 'payload not JSON')
})

t.test('never echoes the token in the problem body', async t => {
  const { app, key } = await setup(t)
  const token = rawToken({ alg: 'none', typ: 'at+jwt', kid: key.kid }, adminClaims())
  const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  t.notOk(response.body.includes(token.split('.')[1] as string))
  t.notOk(response.body.includes(key.kid))
})

t.test('rejects a correctly signed token living longer than maxLifetimeSeconds: a 10-year exp, or one second over the bound (ASVS 9.2.1, 8.3.2)', async t => {
  const { app, key } = await setup(t)
  const now = Math.floor(Date.now() / 1000)
  await expectInvalid(t, app, await signToken(key, claims({ iat: now, exp: now + 10 * 365 * 86_400 })), '10-year exp')
  await expectInvalid(t, app, await signToken(key, claims({ iat: now - 10, exp: now - 10 + 901 })), 'lifetime 901 s, bound 900 s')
  const atBound = await app.inject({ url: '/me', headers: { authorization: `Bearer ${await signToken(key, claims({ iat: now, exp: now + 900 }))}` } })
  t.equal(atBound.statusCode, 200, 'a lifetime of exactly the bound is accepted')
})

t.test('rejects a correctly signed token whose iat is in the future (ASVS 9.2.1)', async t => {
  const { app, key } = await setup(t)
  const now = Math.floor(Date.now() / 1000)
  await expectInvalid(t, app, await signToken(key, claims({ iat: now + 3600, exp: now + 3600 + 900 })), 'iat an hour ahead')
  await expectInvalid(t, app, await signToken(key, claims({ iat: now + 10 * 365 * 86_400, exp: now + 10 * 365 * 86_400 + 60 })), 'iat ten years ahead')
})
