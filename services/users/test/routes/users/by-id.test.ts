import t from 'tap'
import { randomUUID } from 'node:crypto'
import { bearer, build } from '../../helper.js'

const world = await build(t)
const { app } = world

t.test('GET /users/{id} › answers 200 with exactly id, name, bio and avatarUrl', async t => {
  const owner = await world.account()
  await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(owner.token), payload: { bio: 'hi', locale: 'en', timezone: 'UTC', avatarUrl: 'https://img.example/a.png' } })
  const reader = await world.account()
  const res = await app.inject({ method: 'GET', url: `/users/${owner.id}`, headers: bearer(reader.token) })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  t.same(Object.keys(body).sort(), ['avatarUrl', 'bio', 'id', 'name'])
  t.match(body, { id: owner.id, bio: 'hi', avatarUrl: 'https://img.example/a.png' })
  t.notMatch(res.body, /email|locale|timezone/)
})

t.test('GET /users/{id} › answers 400 validation_failed for an id that is not a UUID', async t => {
  const { token } = await world.account()
  const res = await app.inject({ method: 'GET', url: '/users/not-a-uuid', headers: bearer(token) })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'validation_failed')
  t.ok(res.json().errors.length > 0)
})

t.test('GET /users/{id} › answers 404 not_found for an unknown id', async t => {
  const { token } = await world.account()
  const res = await app.inject({ method: 'GET', url: `/users/${randomUUID()}`, headers: bearer(token) })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.equal(res.json().code, 'not_found')
})

t.test('GET /users/{id} › answers 401 without a token', async t => {
  const res = await app.inject({ method: 'GET', url: `/users/${randomUUID()}` })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'unauthorized')
})

t.test('PATCH /users/{id} › answers 403 forbidden for a caller without the admin role, and changes nothing', async t => {
  const victim = await world.account()
  const attacker = await world.account()
  const res = await app.inject({ method: 'PATCH', url: `/users/${victim.id}`, headers: bearer(attacker.token), payload: { name: 'pwned' } })
  t.equal(res.statusCode, 403)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.equal(res.json().code, 'forbidden')
  const [row] = await world.sql`SELECT name FROM profiles WHERE id = ${victim.id}`
  t.not(row?.name, 'pwned')
})

t.test('PATCH /users/{id} › lets an admin change someone\'s profile, with ETag and no-store', async t => {
  const target = await world.account()
  const admin = await world.account('admin', ['user', 'admin'])
  const res = await app.inject({ method: 'PATCH', url: `/users/${target.id}`, headers: { ...bearer(admin.token), 'content-type': 'application/merge-patch+json' }, payload: JSON.stringify({ name: 'Renamed', bio: null }) })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(res.headers.etag, /^"\d+"$/)
  t.match(res.json(), { id: target.id, name: 'Renamed', bio: null })
})

t.test('PATCH /users/{id} › answers 412 to an admin with a stale If-Match', async t => {
  const target = await world.account()
  const admin = await world.account('admin', ['user', 'admin'])
  const res = await app.inject({ method: 'PATCH', url: `/users/${target.id}`, headers: { ...bearer(admin.token), 'if-match': '"999"' }, payload: { bio: 'x' } })
  t.equal(res.statusCode, 412)
  t.equal(res.json().code, 'precondition_failed')
})

t.test('PATCH /users/{id} › answers 404 for an unknown id and 400 for a non-UUID, to an admin', async t => {
  const admin = await world.account('admin', ['user', 'admin'])
  const unknown = await app.inject({ method: 'PATCH', url: `/users/${randomUUID()}`, headers: bearer(admin.token), payload: { bio: 'x' } })
  t.equal(unknown.statusCode, 404)
  const invalid = await app.inject({ method: 'PATCH', url: '/users/123', headers: bearer(admin.token), payload: { bio: 'x' } })
  t.equal(invalid.statusCode, 400)
})

t.test('PATCH /users/{id} › answers 400 to an admin for an unknown property such as email', async t => {
  const target = await world.account()
  const admin = await world.account('admin', ['user', 'admin'])
  const res = await app.inject({ method: 'PATCH', url: `/users/${target.id}`, headers: bearer(admin.token), payload: { email: 'x@y.io' } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().errors[0].path, '/email')
})
