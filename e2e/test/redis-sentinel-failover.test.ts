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
import { isolate } from './processes.js'
import { OUTAGE_MAX_STALENESS, sleep, startServicesUnderTraffic } from './redis-outage-traffic.js'

t.test('Redis Sentinel: the primary killed under load loses no answered revocation and no account event, and both guards come back fresh (ASVS 7.4.1, 16.5.2, 16.5.3)', { skip: await skipWithoutRedis() }, async t => {
  const group = await startRedisSentinelGroup({ password: 'data-node-secret', sentinelPassword: 'sentinel-secret' })
  t.teardown(async () => { await group.stop() })
  const isolation = await isolate(t)
  const { traffic } = await startServicesUnderTraffic(t, isolation, {
    REDIS_SENTINELS: group.sentinels,
    REDIS_SENTINEL_NAME: group.name,
    REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    REDIS_PASSWORD: 'data-node-secret'
  })

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

  t.comment(`failover: promoted ${Math.round(promotedAt - killedAt)} ms after SIGKILL; both guards fresh ${Math.round(freshAt - promotedAt)} ms after promotion (REVOCATION_MAX_STALENESS ${OUTAGE_MAX_STALENESS} s)`)
  t.comment(traffic.describe503(killedAt))
})
