/**
 * Fault (b): Redis is unreachable for both services (a TCP proxy cut that keeps Redis's data), a
 * log out happens, and the auth service restarts before Redis is back. The revocation lives in
 * PostgreSQL, not in the memory of the process that answered, so the new process relays it.
 */
import t from 'tap'
import { skipWithoutRedis, startOwnRedis, startTcpProxy } from '@latchkey/test-support'
import { MAX_STALENESS, acceptancesDuring, accepted, faultWorld, guardAnswer, sleep, untilRevokedEverywhere } from './revocation-faults.js'

t.test('a log out while Redis is down survives a restart of the auth service and reaches both services; neither accepts the token meanwhile (ASVS 7.4.1, 16.5.2, 16.5.3)', { skip: await skipWithoutRedis() }, async t => {
  const redis = await startOwnRedis()
  t.teardown(async () => { await redis.stop() })
  const route = await startTcpProxy(redis.url)
  t.teardown(async () => { await route.close() })
  const world = await faultWorld(t)
  const first = await world.startAuth(route.url)
  const users = await world.startUsers(route.url)
  const tokens = await world.signUp(first)
  t.ok(accepted(await guardAnswer(users, tokens.accessToken)), 'accepted before the fault')

  await route.cut()
  const cutAt = Date.now()
  const logout = await first.app.inject({ method: 'DELETE', url: '/sessions/current', headers: { authorization: `Bearer ${tokens.accessToken}` } })
  t.equal(logout.statusCode, 204)
  await first.close()
  const restarted = await world.startAuth(route.url)

  await sleep(Math.max(0, cutAt + (MAX_STALENESS + 1) * 1000 - Date.now()))
  t.same(await acceptancesDuring({ restarted, users }, tokens.accessToken, 1_000), [], 'while Redis is down, past the bound: 401 or 503, never accepted')

  await route.restore()
  const healed = await untilRevokedEverywhere({ restarted, users }, tokens.accessToken, 15_000)
  t.ok(healed.revoked, 'once Redis is back, the restarted auth service relays the revocation and both refuse the token')
  t.same(healed.acceptances, [], 'and neither accepted it on the way')
})
