/**
 * Redis Cluster, with real processes: three primaries (no replicas, append-only files synced on
 * every write, a password on every node), the built auth and users services in Cluster mode, and
 * under /verify, log in, log out and registration traffic two faults on the slot of the
 * revocation feed: the slot migrated to another primary with its keys (clients follow ASK and
 * MOVED), then that primary SIGKILLed and started again from its files (its slots are down
 * meanwhile; the others keep serving). What must hold: a revoked token is never accepted once
 * REVOCATION_MAX_STALENESS passed since its log out; every registration is applied once by the
 * users service; only success or 503, never a wrong answer; both guards fresh again; the
 * failure limit counts. Also checked: the keys that scripts and transactions use together share
 * one slot (hash tags), and keys of unrelated subjects spread over the primaries.
 */
import t from 'tap'
import { Cluster } from 'ioredis'
import { skipWithoutRedis, startRedisCluster } from '@latchkey/test-support'
import { isolate } from './processes.js'
import { sleep, startServicesUnderTraffic } from './redis-outage-traffic.js'

const NODE_PASSWORD = 'cluster-node-secret'

t.test('Redis Cluster: a slot migration and a primary restart under load lose no answered revocation and no account event (ASVS 7.4.1, 16.5.2, 16.5.3)', { skip: await skipWithoutRedis() }, async t => {
  const startedAt = performance.now()
  const cluster = await startRedisCluster({ password: NODE_PASSWORD })
  t.teardown(async () => { await cluster.stop() })
  const clusterReadyAt = performance.now()
  const isolation = await isolate(t)
  const prefix = isolation.env.REDIS_PREFIX
  const { traffic } = await startServicesUnderTraffic(t, isolation, { REDIS_CLUSTER_NODES: cluster.nodes, REDIS_PASSWORD: NODE_PASSWORD })

  const feedKey = `${prefix}{revoked}:seq`
  await sleep(1000)
  // 1. The feed's slot moves, keys and all, to another primary while traffic runs.
  const migratedAt = performance.now()
  const from = await cluster.primaryOf(feedKey)
  const to = cluster.ports.find(port => port !== from) ?? 0
  await cluster.migrateSlotOf(feedKey, to)
  t.equal(await cluster.primaryOf(feedKey), to, 'the revocation feed\'s slot moved to another primary')
  t.ok(await traffic.untilFresh(performance.now()), 'both guards are fresh after the migration')
  const migrationFreshAt = performance.now()

  // 2. The primary now holding the feed dies and comes back from its append-only file.
  const killedAt = performance.now()
  await cluster.restart(to, 1000)
  const restartedAt = performance.now()
  t.ok(await traffic.untilFresh(restartedAt), 'both guards are fresh again after the restart')
  const freshAt = performance.now()
  // More traffic after both faults: log outs and registrations on the restarted node too.
  await sleep(1000)
  await traffic.verdict(t, 'migration and restart')

  // Where the keys are: the feed's keys and the stream's in one slot each, found under their tags.
  const redis = new Cluster(cluster.ports.map(port => ({ host: '127.0.0.1', port })), { redisOptions: { password: NODE_PASSWORD } })
  t.teardown(() => { redis.disconnect() })
  const slot = async (key: string): Promise<number> => await redis.cluster('KEYSLOT', key)
  const feedSlot = await slot(feedKey)
  for (const name of ['sessions', 'account-versions', 'seeded']) t.equal(await slot(`${prefix}{revoked}:${name}`), feedSlot, `${name} shares the feed's slot`)
  t.ok(await redis.get(`${prefix}{revoked}:seeded`), 'the feed is stored under its tagged names')
  t.ok(Number(await redis.get(feedKey) ?? 0) > 3, 'its sequence counted every broadcast')
  t.equal(await slot(`${prefix}{account-events}:dead`), await slot(`${prefix}{account-events}`), 'the dead letters share the stream\'s slot')
  t.ok(await redis.xlen(`${prefix}{account-events}`) > 0, 'the account events went to the tagged stream')
  const groups = await redis.xinfo('GROUPS', `${prefix}{account-events}`) as unknown[]
  t.equal(groups.length, 1, 'with its consumer group')
  const counters = await Promise.all(cluster.ports.map(async port => {
    const node = redis.nodes('master').find(candidate => candidate.options.port === port)
    return (await node?.keys(`${prefix}abuse:*`))?.length ?? 0
  }))
  t.ok(counters.filter(count => count > 0).length >= 2, `abuse counters of different subjects spread over the primaries (${counters.join(', ')} keys)`)

  t.comment(`timings: cluster up in ${Math.round(clusterReadyAt - startedAt)} ms; migration done and guards fresh ${Math.round(migrationFreshAt - migratedAt)} ms after it started; node back ${Math.round(restartedAt - killedAt)} ms after SIGKILL (1000 ms down), guards fresh ${Math.round(freshAt - restartedAt)} ms later; test ${Math.round(performance.now() - startedAt)} ms`)
  t.comment(traffic.describe503(killedAt))
})
