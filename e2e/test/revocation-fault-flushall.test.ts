/**
 * Fault (c): Redis loses its data (FLUSHALL on this test's own redis-server) while the auth
 * service is down. A users service started in that window finds an empty store: it must not
 * count itself fresh (no heartbeat vouches for the store) until the auth service is back and
 * has seeded Redis again from PostgreSQL.
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { skipWithoutRedis, startOwnRedis } from '@latchkey/test-support'
import { MAX_STALENESS, acceptancesDuring, accepted, faultWorld, guardAnswer, untilRevokedEverywhere } from './revocation-faults.js'

t.test('after FLUSHALL while the auth service is down, a revoked token is refused or answered 503 by every users service, never accepted, until auth re-seeds (ASVS 7.4.1, 16.5.2, 16.5.3)', { skip: await skipWithoutRedis() }, async t => {
  const redis = await startOwnRedis()
  t.teardown(async () => { await redis.stop() })
  const admin = new Redis(redis.url)
  t.teardown(async () => { await admin.quit() })
  const world = await faultWorld(t)
  const auth = await world.startAuth(redis.url)
  const users = await world.startUsers(redis.url)
  const tokens = await world.signUp(auth)
  t.ok(accepted(await guardAnswer(users, tokens.accessToken)), 'accepted before the fault')
  t.equal((await auth.app.inject({ method: 'DELETE', url: '/sessions/current', headers: { authorization: `Bearer ${tokens.accessToken}` } })).statusCode, 204)
  t.ok((await untilRevokedEverywhere({ users }, tokens.accessToken, 5_000)).revoked, 'revoked at users')

  await auth.close()
  await admin.flushall()
  const lateUsers = await world.startUsers(redis.url)
  t.same(await acceptancesDuring({ users, lateUsers }, tokens.accessToken, (MAX_STALENESS + 1) * 1000), [],
    'neither the running users service nor one started on the empty store accepts the token')
  t.equal((await guardAnswer(lateUsers, tokens.accessToken)).status, 503, 'the new one has no heartbeat: 503')

  const restarted = await world.startAuth(redis.url)
  const healed = await untilRevokedEverywhere({ restarted, users, lateUsers }, tokens.accessToken, 15_000)
  t.ok(healed.revoked, 'once auth re-seeded Redis from PostgreSQL, every service refuses the token as revoked')
  t.same(healed.acceptances, [], 'and none accepted it on the way')
})
