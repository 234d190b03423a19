/**
 * Fault (a): only the auth service loses Redis (a TCP proxy cut), the users service still sees
 * it. A log out during the cut is durable, and no guard accepts the token once its staleness
 * bound is past: without heartbeats the users service answers 503 instead of trusting its own
 * live subscriber; once the cut heals, the relay delivers the revocation.
 */
import t from 'tap'
import { skipWithoutRedis, startOwnRedis, startTcpProxy } from '@latchkey/test-support'
import { MAX_STALENESS, acceptancesDuring, accepted, faultWorld, guardAnswer, sleep, untilRevokedEverywhere } from './revocation-faults.js'

t.test('a log out during a cut between auth and Redis is never accepted by either service past the staleness bound, and reaches both once healed (ASVS 7.4.1, 16.5.2, 16.5.3)', { skip: await skipWithoutRedis() }, async t => {
  const redis = await startOwnRedis()
  t.teardown(async () => { await redis.stop() })
  const authRoute = await startTcpProxy(redis.url)
  t.teardown(async () => { await authRoute.close() })
  const world = await faultWorld(t)
  const auth = await world.startAuth(authRoute.url)
  const users = await world.startUsers(redis.url)
  const tokens = await world.signUp(auth)
  t.ok(accepted(await guardAnswer(users, tokens.accessToken)), 'the users service accepts the token before the fault')

  await authRoute.cut()
  const cutAt = Date.now()
  const logout = await auth.app.inject({ method: 'DELETE', url: '/sessions/current', headers: { authorization: `Bearer ${tokens.accessToken}` } })
  t.equal(logout.statusCode, 204, 'log out is answered: the revocation is durable in PostgreSQL')
  t.notOk(accepted(await guardAnswer(auth, tokens.accessToken)), 'the auth service refuses it at once')

  await sleep(Math.max(0, cutAt + (MAX_STALENESS + 1) * 1000 - Date.now()))
  t.same(await acceptancesDuring({ auth, users }, tokens.accessToken, 2_000), [], 'past the bound, neither service accepts the token')
  t.equal((await guardAnswer(users, tokens.accessToken)).status, 503, 'the users service has heard no heartbeat: 503')

  await authRoute.restore()
  const healed = await untilRevokedEverywhere({ auth, users }, tokens.accessToken, 15_000)
  t.ok(healed.revoked, 'once healed, both refuse it as revoked')
  t.same(healed.acceptances, [], 'and never accepted it on the way')
})
