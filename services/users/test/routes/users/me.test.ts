import t from 'tap'
import { randomUUID } from 'node:crypto'
import { generateKeyPair } from 'jose'
import { bearer, build, randomName, waitFor } from '../../helper.js'

const world = await build(t)
const { app } = world

const JSON_TYPE = { 'content-type': 'application/json' }
const MERGE_PATCH = { 'content-type': 'application/merge-patch+json' }

async function readProfile (token: string) {
  const res = await app.inject({ method: 'GET', url: '/users/me', headers: bearer(token) })
  return { res, body: res.json(), etag: res.headers.etag }
}

async function storedRow (id: string) {
  const [row] = await world.sql`SELECT name, bio, avatar_url, locale, timezone, version FROM profiles WHERE id = ${id}`
  return row
}

t.test('GET /users/me › answers 200 with the profile, a strong ETag, no-store and nosniff', async t => {
  const name = randomName('Ada')
  const { id, token } = await world.account(name)
  const { res, body } = await readProfile(token)
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.headers['referrer-policy'], 'no-referrer')
  t.equal(res.headers['x-frame-options'], 'DENY')
  t.match(res.headers['content-security-policy'], /default-src 'none'/)
  t.match(res.headers.etag, /^"\d+"$/)
  t.same(Object.keys(body).sort(), ['avatarUrl', 'bio', 'createdAt', 'id', 'locale', 'name', 'timezone', 'updatedAt'])
  t.match(body, { id, name, bio: null, avatarUrl: null, locale: null, timezone: null })
  t.ok(!Number.isNaN(Date.parse(body.createdAt)))
})

t.test('GET /users/me › answers 404 not_found (no-store) while the profile is not yet created', async t => {
  const token = await world.token()
  const res = await app.inject({ method: 'GET', url: '/users/me', headers: bearer(token) })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.equal(res.json().code, 'not_found')
  t.equal(res.headers['cache-control'], 'no-store')
})

t.test('GET /users/me › answers 401 unauthorized with WWW-Authenticate when no token is sent', async t => {
  const res = await app.inject({ method: 'GET', url: '/users/me' })
  t.equal(res.statusCode, 401)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.equal(res.json().code, 'unauthorized')
  t.match(res.headers['www-authenticate'], /^Bearer/)
  t.equal(res.headers['cache-control'], 'no-store')
})

t.test('GET /users/me › answers 401 token_invalid for a foreign signature, issuer or audience, or garbage', async t => {
  const { id } = await world.account()
  const { privateKey: foreign } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  const tokens = [
    await world.token({ sub: id, key: foreign }),
    await world.token({ sub: id, issuer: 'http://evil.example' }),
    await world.token({ sub: id, audience: 'someone-else' }),
    'not-a-jwt'
  ]
  for (const token of tokens) {
    const res = await app.inject({ method: 'GET', url: '/users/me', headers: bearer(token) })
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'token_invalid')
    t.match(res.headers['www-authenticate'], /error="invalid_token"/)
  }
})

t.test('GET /users/me › answers 401 token_expired for an expired token', async t => {
  const token = await world.token({ expiresIn: Math.floor(Date.now() / 1000) - 5 })
  const res = await app.inject({ method: 'GET', url: '/users/me', headers: bearer(token) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'token_expired')
})

t.test('GET /users/me › answers 401 token_revoked once a session revocation arrives on the feed', async t => {
  const { token, sid } = await world.account()
  t.equal((await readProfile(token)).res.statusCode, 200)
  await world.feed.publish([{ kind: 'session', sid, expiresAt: Date.now() + 900_000 }])
  await waitFor(async () => (await readProfile(token)).res.statusCode === 401, 10_000)
  const { res } = await readProfile(token)
  t.equal(res.json().code, 'token_revoked')
})

t.test('GET /users/me › answers 401 token_revoked after an account-wide revocation', async t => {
  const { id, token } = await world.account()
  await world.feed.publish([{ kind: 'account', sub: id, minVersion: 1, expiresAt: Date.now() + 900_000 }])
  await waitFor(async () => (await readProfile(token)).res.statusCode === 401, 1000)
  t.equal((await readProfile(token)).body.code, 'token_revoked')
})

t.test('PATCH /users/me › changes only the fields sent and returns a new ETag', async t => {
  const { token } = await world.account()
  const before = await readProfile(token)
  const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: { ...bearer(token), ...JSON_TYPE }, payload: { bio: 'Hello', locale: 'en-gb', timezone: 'Europe/Paris' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(res.json(), { name: before.body.name, bio: 'Hello', locale: 'en-GB', timezone: 'Europe/Paris', avatarUrl: null })
  t.not(res.headers.etag, before.etag)
  t.equal((await readProfile(token)).etag, res.headers.etag)
})

t.test('PATCH /users/me › trims the name before storing it', async t => {
  const { id, token } = await world.account()
  const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload: { name: '  Grace Hopper  ' } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().name, 'Grace Hopper')
  t.equal((await storedRow(id))?.name, 'Grace Hopper')
})

t.test('PATCH /users/me › counts the name in characters (code points), as registration does: 100 astral characters fit, 101 do not', async t => {
  const { id, token } = await world.account()
  const name = '\u{1F600}'.repeat(100)
  const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload: { name } })
  t.equal(res.statusCode, 200)
  t.equal((await storedRow(id))?.name, name)
  const tooLong = await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload: { name: name + '\u{1F600}' } })
  t.equal(tooLong.statusCode, 400)
  t.equal(tooLong.json().code, 'validation_failed')
})

t.test('PATCH /users/me › accepts application/merge-patch+json where null clears an optional field', async t => {
  const { token } = await world.account()
  await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload: { bio: 'x', avatarUrl: 'https://img.example/a.png' } })
  const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: { ...bearer(token), ...MERGE_PATCH }, payload: JSON.stringify({ bio: null }) })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { bio: null, avatarUrl: 'https://img.example/a.png' })
})

t.test('PATCH /users/me › answers 200 with an unchanged ETag for an empty patch', async t => {
  const { token } = await world.account()
  const before = await readProfile(token)
  const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload: {} })
  t.equal(res.statusCode, 200)
  t.equal(res.headers.etag, before.etag)
})

t.test('PATCH /users/me › applies the change when If-Match names the current version', async t => {
  const { token } = await world.account()
  const { etag } = await readProfile(token)
  const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: { ...bearer(token), 'if-match': String(etag) }, payload: { bio: 'fresh' } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().bio, 'fresh')
})

t.test('PATCH /users/me › answers 412 precondition_failed when If-Match is stale, and changes nothing', async t => {
  const { id, token } = await world.account()
  const { etag } = await readProfile(token)
  await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload: { bio: 'first' } })
  const stored = await storedRow(id)
  for (const ifMatch of [String(etag), `W/${String(etag)}`, 'garbage']) {
    const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: { ...bearer(token), 'if-match': ifMatch }, payload: { bio: 'second' } })
    t.equal(res.statusCode, 412, ifMatch)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.equal(res.json().code, 'precondition_failed')
  }
  t.same(await storedRow(id), stored)
})

t.test('PATCH /users/me › lets exactly one of two concurrent writes holding the same ETag win', async t => {
  const { id, token } = await world.account()
  const { etag } = await readProfile(token)
  const results = await Promise.all(['left', 'right'].map(async bio => await app.inject({
    method: 'PATCH', url: '/users/me', headers: { ...bearer(token), 'if-match': String(etag) }, payload: { bio }
  })))
  t.same(results.map(r => r.statusCode).sort(), [200, 412])
  const winner = results.find(r => r.statusCode === 200)
  t.equal((await storedRow(id))?.bio, winner?.json().bio)
})

t.test('PATCH /users/me › answers 400 validation_failed and changes nothing for invalid fields', async t => {
  const { id, token } = await world.account()
  const stored = await storedRow(id)
  const cases: Array<[unknown, string]> = [
    [{ name: '   ' }, '/name'],
    [{ name: '' }, '/name'],
    [{ name: 'x'.repeat(101) }, '/name'],
    [{ bio: 'x'.repeat(501) }, '/bio'],
    [{ avatarUrl: 'http://img.example/a.png' }, '/avatarUrl'],
    [{ avatarUrl: 'not a url' }, '/avatarUrl'],
    [{ timezone: 'Mars/Olympus_Mons' }, '/timezone'],
    [{ timezone: '+01:00' }, '/timezone'],
    [{ locale: 'en_US' }, '/locale'],
    [{ locale: 'x' }, '/locale'],
    [{ email: 'a@b.io' }, '/email'],
    [{ id: randomUUID() }, '/id'],
    [{ version: 7 }, '/version'],
    [{ bio: 42 }, '/bio'],
    [{ name: true }, '/name'],
    [{ bio: ['x'] }, '/bio']
  ]
  for (const [payload, path] of cases) {
    const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload: payload as object })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    const body = res.json()
    t.equal(body.code, 'validation_failed')
    t.ok(body.errors.some((e: { path: string }) => e.path === path), `${JSON.stringify(payload)} names ${path}: ${JSON.stringify(body.errors)}`)
  }
  t.same(await storedRow(id), stored, 'nothing changed')
})

t.test('PATCH /users/me › accepts real IANA zones, links and canonicalizes BCP 47 tags', async t => {
  const { token } = await world.account()
  for (const [timezone, locale, expected] of [['UTC', 'EN', ['UTC', 'en']], ['america/new_york', 'zh-hant-tw', ['America/New_York', 'zh-Hant-TW']], ['Asia/Calcutta', 'de-CH-1996', ['Asia/Calcutta', 'de-CH-1996']]] as const) {
    const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload: { timezone, locale } })
    t.equal(res.statusCode, 200, timezone)
    t.same([res.json().timezone, res.json().locale], expected)
  }
})

t.test('PATCH /users/me › answers 415 for a body that is not JSON', async t => {
  const { token } = await world.account()
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: { ...bearer(token), 'content-type': type }, payload: 'bio=x' })
    t.equal(res.statusCode, 415, type)
    t.equal(res.json().code, 'unsupported_media_type')
  }
})

t.test('PATCH /users/me › answers 400 for malformed JSON and 413 for a body over 16 KiB', async t => {
  const { token } = await world.account()
  const malformed = await app.inject({ method: 'PATCH', url: '/users/me', headers: { ...bearer(token), ...JSON_TYPE }, payload: '{"bio":' })
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.json().code, 'validation_failed')
  const huge = await app.inject({ method: 'PATCH', url: '/users/me', headers: { ...bearer(token), ...JSON_TYPE }, payload: JSON.stringify({ bio: 'x'.repeat(17_000) }) })
  t.equal(huge.statusCode, 413)
  t.equal(huge.json().code, 'payload_too_large')
})

t.test('PATCH /users/me › refuses a __proto__ key instead of applying it', async t => {
  const { token } = await world.account()
  const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: { ...bearer(token), ...JSON_TYPE }, payload: '{"__proto__":{"admin":true}}' })
  t.equal(res.statusCode, 400)
})

t.test('PATCH /users/me › answers 404 while the profile is not yet created', async t => {
  const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(await world.token()), payload: { bio: 'x' } })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'not_found')
})

t.test('PATCH /users/me › answers 401 before looking at the body', async t => {
  const res = await app.inject({ method: 'PATCH', url: '/users/me', headers: { 'content-type': 'text/plain' }, payload: 'x' })
  t.equal(res.statusCode, 401)
})

t.test('PUT /users/me › replaces every editable field, absent optional fields becoming null', async t => {
  const { token } = await world.account()
  await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload: { bio: 'old', locale: 'fr', timezone: 'Europe/Paris', avatarUrl: 'https://img.example/a.png' } })
  const res = await app.inject({ method: 'PUT', url: '/users/me', headers: bearer(token), payload: { name: ' New Name ', bio: 'new' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(res.headers.etag, /^"\d+"$/)
  t.match(res.json(), { name: 'New Name', bio: 'new', avatarUrl: null, locale: null, timezone: null })
})

t.test('PUT /users/me › answers 400 without a name, and for unknown properties', async t => {
  const { id, token } = await world.account()
  const stored = await storedRow(id)
  for (const [payload, path] of [[{ bio: 'x' }, '/name'], [{ name: 'ok', email: 'a@b.io' }, '/email'], [{ name: 5 }, '/name']] as const) {
    const res = await app.inject({ method: 'PUT', url: '/users/me', headers: bearer(token), payload })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'validation_failed')
    t.equal(res.json().errors[0].path, path)
  }
  t.same(await storedRow(id), stored)
})

t.test('PUT /users/me › answers 412 when If-Match is stale, 200 when current', async t => {
  const { token } = await world.account()
  const { etag } = await readProfile(token)
  const ok = await app.inject({ method: 'PUT', url: '/users/me', headers: { ...bearer(token), 'if-match': String(etag) }, payload: { name: 'one' } })
  t.equal(ok.statusCode, 200)
  const stale = await app.inject({ method: 'PUT', url: '/users/me', headers: { ...bearer(token), 'if-match': String(etag) }, payload: { name: 'two' } })
  t.equal(stale.statusCode, 412)
  t.equal(stale.json().code, 'precondition_failed')
  const any = await app.inject({ method: 'PUT', url: '/users/me', headers: { ...bearer(token), 'if-match': '*' }, payload: { name: 'three' } })
  t.equal(any.statusCode, 200)
})

t.test('PUT /users/me › answers 415 for merge-patch, which only PATCH accepts', async t => {
  const { token } = await world.account()
  const res = await app.inject({ method: 'PUT', url: '/users/me', headers: { ...bearer(token), ...MERGE_PATCH }, payload: JSON.stringify({ name: 'x' }) })
  t.equal(res.statusCode, 415)
  t.equal(res.json().code, 'unsupported_media_type')
})

t.test('PUT /users/me › answers 404 while the profile is not yet created', async t => {
  const res = await app.inject({ method: 'PUT', url: '/users/me', headers: bearer(await world.token()), payload: { name: 'x' } })
  t.equal(res.statusCode, 404)
})
