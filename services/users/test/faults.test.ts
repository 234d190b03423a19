import t from 'tap'
import { build, waitFor } from './helper.js'

t.test('PostgreSQL down: token checks still answer, profile reads and writes answer 503 problem+json, all recovers (ASVS 16.5.2)', async t => {
  const world = await build(t, { databaseProxy: true })
  const proxy = world.databaseProxy
  if (proxy === undefined) throw new Error('no database proxy')
  const { id, token } = await world.account('Dorothy Vaughan')
  const me = async (bearer: string) => await world.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${bearer}` } })
  t.equal((await me(token)).statusCode, 200)

  await proxy.cut()
  const invalid = await me('not-a-token')
  t.equal(invalid.statusCode, 401, 'a bad token is still refused: the guard needs no database')
  t.equal(invalid.json().code, 'token_invalid')
  const read = await me(token)
  t.equal(read.statusCode, 503)
  t.equal(read.json().code, 'service_unavailable')
  t.match(read.headers['content-type'], /application\/problem\+json/)
  const write = await world.app.inject({ method: 'PATCH', url: '/users/me', headers: { authorization: `Bearer ${token}` }, payload: { bio: 'x' } })
  t.equal(write.statusCode, 503)

  await proxy.restore()
  await waitFor(async () => (await me(token)).statusCode === 200, 10_000)
  t.equal((await me(token)).json().id, id, 'reads recover by themselves')
})
