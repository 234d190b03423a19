/**
 * Redis Sentinel, with real processes: a primary, one replica and three sentinels, the built auth
 * and users services in Sentinel mode (passwords on the data nodes and on the sentinels), and
 * the primary SIGKILLed while /verify, log in, log out and registration run. What must hold:
 * every token whose log out was answered is refused (401) or answered 503 by both services,
 * never accepted; every registration reaches the users service exactly once; both guards become
 * fresh again on the new primary; rate-limit counters keep counting there. The window of 503s is
 * measured and printed, never asserted (it depends on the machine).
 */
import t from 'tap'
import { skipWithoutRedis, startRedisSentinelGroup } from '@latchkey/test-support'
import { authEnv, entryOf, freePort, isolate, spawnService, usersEnv, withoutUrl } from './processes.js'
import { sleep, startTraffic } from './redis-outage-traffic.js'

/** Seconds both guards allow between heartbeats: small, so recovery shows within the test. */
const MAX_STALENESS = 2
const LOGIN_FAILURES_MAX = 3

t.test('Redis Sentinel: the primary killed under load loses no answered revocation and no account event, and both guards come back fresh (ASVS 7.4.1, 16.5.2, 16.5.3)', { skip: await skipWithoutRedis() }, async t => {
  const group = await startRedisSentinelGroup({ password: 'data-node-secret', sentinelPassword: 'sentinel-secret' })
  t.teardown(async () => { await group.stop() })
  const isolation = await isolate(t)
  const sentinel = {
    REDIS_SENTINELS: group.sentinels,
    REDIS_SENTINEL_NAME: group.name,
    REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    REDIS_PASSWORD: 'data-node-secret',
    REVOCATION_MAX_STALENESS: String(MAX_STALENESS)
  }
  const authPort = await freePort()
  const auth = await spawnService(t, entryOf('auth'), {
    ...withoutUrl(authEnv(isolation, authPort, sentinel)),
    LOGIN_FAILURES_MAX: String(LOGIN_FAILURES_MAX),
    RATE_LIMIT_IP_MAX: '100000',
    ARGON2_MEMORY_COST: '8192',
    ARGON2_TIME_COST: '1'
  }, { port: authPort })
  const usersPort = await freePort()
  const users = await spawnService(t, entryOf('users'), withoutUrl(usersEnv(isolation, usersPort, auth.url, { ...sentinel, LOG_LEVEL: 'debug' })), { port: usersPort })
  const traffic = await startTraffic({ auth, users }, { isolation, maxStalenessSeconds: MAX_STALENESS, loginFailuresMax: LOGIN_FAILURES_MAX })

  await sleep(1000)
  const killedAt = performance.now()
  const oldPrimary = await group.killPrimary()
  const newPrimary = await group.whenPromoted(oldPrimary)
  const promotedAt = performance.now()
  t.not(newPrimary, oldPrimary, 'the sentinels promoted the replica')
  t.ok(await traffic.untilFresh(promotedAt), 'both guards are fresh again on the new primary')
  const freshAt = performance.now()
  // More traffic on the new primary: log outs and registrations after the failover too.
  await sleep(1000)
  await traffic.verdict(t, 'failover')

  t.comment(`failover: promoted ${Math.round(promotedAt - killedAt)} ms after SIGKILL; both guards fresh ${Math.round(freshAt - promotedAt)} ms after promotion (REVOCATION_MAX_STALENESS ${MAX_STALENESS} s)`)
  t.comment(traffic.describe503(killedAt))
})
