/**
 * deploy/redis/latchkey.acl on a Redis Cluster, with real processes: three primaries, each one
 * started by deploy/redis/start-redis.sh with the committed template (plus, through
 * LATCHKEY_REDIS_EXTRA_ACL, the administrator a cluster needs to be created and resharded), and
 * the built auth and users services in Cluster mode as latchkey-auth and latchkey-users. Under
 * log in, /verify, log out and registration traffic the slots of the revocation feed and of the
 * account-event stream move to other primaries, so both users follow ASK (ASKING) and MOVED
 * redirections and reload the slot map. What must hold: the traffic's verdict (no revoked token
 * accepted past the staleness bound, every registration applied once by the users service, only
 * success or 503), and on the cluster each user is refused the other's keys and writes, and both
 * are refused administration, cluster administration included (NOPERM).
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster, Redis } from 'ioredis'
import { skipWithoutRedis, startRedisCluster } from '@latchkey/test-support'
import { isolate, repositoryRoot } from './processes.js'
import { aclKeys, assertRefused, refusedToAuth, refusedToUsers } from './redis-acl-refusals.js'
import { sleep, startServicesUnderTraffic } from './redis-outage-traffic.js'

const keys = aclKeys(part => `{${part}}`)
/** Cluster administration, which neither service's user may do. */
const clusterAdministration = (redis: Cluster): Array<() => Promise<unknown>> => [
  async () => await redis.cluster('MEET', '127.0.0.1', '1'),
  async () => await redis.cluster('ADDSLOTS', '0'),
  async () => await redis.cluster('SETSLOT', '0', 'STABLE'),
  async () => await redis.cluster('RESET'),
  async () => await redis.cluster('FAILOVER'),
  async () => await redis.cluster('NODES'),
  async () => await redis.call('MIGRATE', '127.0.0.1', '1', '', '0', '100', 'KEYS', `${keys.revoked}:seq`),
  async () => await redis.call('READONLY')
]

t.test('deploy/redis/latchkey.acl on a Redis Cluster › each service on its own user through slot moves, allowed what it uses and nothing else (ASVS 13.2.2)', { skip: await skipWithoutRedis() }, async t => {
  const passwords = { auth: randomBytes(16).toString('hex'), users: randomBytes(16).toString('hex') }
  const admin = { username: 'cluster-admin', password: randomBytes(16).toString('hex') }
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-cluster-acl-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const extraAcl = join(dir, 'admin.acl')
  await writeFile(extraAcl, `# the operator's own\nuser ${admin.username} on >${admin.password} ~* &* +@all\n`, { mode: 0o600 })
  const cluster = await startRedisCluster({
    acl: {
      admin,
      launcher: nodeDir => ({
        command: join(repositoryRoot, 'deploy/redis/start-redis.sh'),
        env: {
          LATCHKEY_AUTH_REDIS_PASSWORD: passwords.auth,
          LATCHKEY_USERS_REDIS_PASSWORD: passwords.users,
          LATCHKEY_REDIS_ACL_FILE: join(nodeDir, 'latchkey.acl'),
          LATCHKEY_REDIS_EXTRA_ACL: extraAcl
        }
      })
    }
  })
  t.teardown(async () => { await cluster.stop() })
  const isolation = await isolate(t)
  // The ACL's patterns name the default prefix: this cluster is the test's own.
  const clusterEnv = { REDIS_CLUSTER_NODES: cluster.nodes, REDIS_PREFIX: 'latchkey:' }
  const { traffic } = await startServicesUnderTraffic(t, isolation,
    { ...clusterEnv, REDIS_USERNAME: 'latchkey-auth', REDIS_PASSWORD: passwords.auth },
    { ...clusterEnv, REDIS_USERNAME: 'latchkey-users', REDIS_PASSWORD: passwords.users })

  await sleep(1000)
  // The feed's slot (auth writes it, users reads it) and then the stream's (auth appends, users
  // reads through its group) move, keys and all, while traffic runs.
  for (const key of [`${keys.revoked}:seq`, keys.events]) {
    const from = await cluster.primaryOf(key)
    const to = cluster.ports.find(port => port !== from) ?? 0
    const movedAt = performance.now()
    await cluster.migrateSlotOf(key, to)
    t.equal(await cluster.primaryOf(key), to, `${key}'s slot moved to another primary`)
    t.ok(await traffic.untilFresh(movedAt), `both guards are fresh after ${key}'s slot moved`)
  }
  await sleep(1000)
  await traffic.verdict(t, 'slot moves')

  const nodes = cluster.ports.map(port => ({ host: '127.0.0.1', port }))
  const asUser = (username: string, password: string): Cluster => {
    const redis = new Cluster(nodes, { redisOptions: { username, password, maxRetriesPerRequest: 0 } })
    t.teardown(() => { redis.disconnect() })
    return redis
  }

  t.test('latchkey-users reads the slot map and the store, and may not write it, read counters, add events, publish or administer', async t => {
    const redis = asUser('latchkey-users', passwords.users)
    t.ok(await redis.get(`${keys.revoked}:seeded`), 'it reads the revocation store under its tagged names')
    await t.resolves(redis.zrange(`${keys.revoked}:sessions`, '0', '0'))
    await assertRefused(t, [...refusedToUsers(redis, keys), ...refusedToUsers(redis), ...clusterAdministration(redis)])
  })

  t.test('latchkey-auth reads the slot map and its keys, and may not administer Redis or the cluster or touch keys outside its own', async t => {
    const redis = asUser('latchkey-auth', passwords.auth)
    t.ok(await redis.get(`${keys.revoked}:seeded`), 'it reads the epoch it seeded')
    t.equal((await redis.xinfo('GROUPS', keys.events) as unknown[]).length, 1, 'it reads the tagged stream\'s consumer group (retention)')
    await assertRefused(t, [...refusedToAuth(redis, keys), ...refusedToAuth(redis), ...clusterAdministration(redis)])
  })

  t.test('the default user answers PING on every node, and tells nobody the slot map', async t => {
    for (const port of cluster.ports) {
      const redis = new Redis({ port, host: '127.0.0.1', enableReadyCheck: false, maxRetriesPerRequest: 0 })
      t.teardown(() => { redis.disconnect() })
      t.equal(await redis.ping(), 'PONG')
      await assertRefused(t, [async () => await redis.cluster('SLOTS'), async () => await redis.cluster('INFO'), async () => await redis.get(`${keys.revoked}:seeded`)])
    }
  })
})
