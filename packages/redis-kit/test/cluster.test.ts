import t from 'tap'
import { Cluster, Redis } from 'ioredis'
import { skipWithoutRedis, startRedisCluster } from '@latchkey/test-support'
import { closeRedis, connectRedis, redisSettingsOf, sameSlot } from '../src/index.js'

t.test('redisSettingsOf › REDIS_CLUSTER_NODES selects Cluster mode with the data-node credentials; sameSlot tags only there', async t => {
  const settings = redisSettingsOf({ REDIS_CLUSTER_NODES: 'redis-0:6379, [::1]:7001', REDIS_USERNAME: 'latchkey-auth', REDIS_PASSWORD: 'dp', REDIS_COMMAND_TIMEOUT: 500 })
  t.same(settings, { cluster: { nodes: [{ host: 'redis-0', port: 6379 }, { host: '::1', port: 7001 }], username: 'latchkey-auth', password: 'dp' }, commandTimeoutMs: 500 })
  t.equal(sameSlot(settings ?? {}, 'revoked'), '{revoked}', 'a hash tag in Cluster mode')
  t.equal(sameSlot({ url: 'redis://r:6379' }, 'revoked'), 'revoked', 'unchanged for one server')
  const cluster = connectRedis({ cluster: { nodes: [{ host: '127.0.0.1', port: 1 }] } }, { offlineQueue: false })
  t.ok(cluster instanceof Cluster, 'connectRedis makes a cluster client')
  await closeRedis(cluster)
  const subscriber = connectRedis({ cluster: { nodes: [{ host: '127.0.0.1', port: 1 }] } }, { subscriber: true })
  t.ok(subscriber instanceof Redis, 'a subscriber is one plain connection to a node')
  await closeRedis(subscriber)
})

t.test('connectRedis › in Cluster mode keys spread over the primaries, one slot\'s keys go together in a script, and a subscriber hears what any node publishes, also after its node died', { skip: await skipWithoutRedis() }, async t => {
  const cluster = await startRedisCluster({ password: 'node-secret' })
  t.teardown(async () => { await cluster.stop() })
  const nodes = cluster.ports.map(port => ({ host: '127.0.0.1', port }))
  const settings = { cluster: { nodes, password: 'node-secret' }, commandTimeoutMs: 1000 }
  const redis = connectRedis(settings, { name: 'kit-test' })
  t.teardown(async () => { await closeRedis(redis) })

  const owners = new Set<number>()
  for (let i = 0; i < 30; i++) {
    await redis.set(`spread:${i}`, String(i))
    owners.add(await cluster.primaryOf(`spread:${i}`))
  }
  t.equal(owners.size, 3, 'keys without a tag land on all three primaries')
  const tag = sameSlot(settings, 'feed')
  const sum = await redis.eval("redis.call('SET', KEYS[1], 2); redis.call('SET', KEYS[2], 3); return redis.call('GET', KEYS[1]) + redis.call('GET', KEYS[2])", 2, `p:${tag}:a`, `p:${tag}:b`)
  t.equal(sum, 5, 'a script over two keys of one tag runs')
  await t.rejects(redis.eval("return redis.call('GET', KEYS[1])", 2, 'untagged:a', 'untagged:b'), /CROSSSLOT|same slot/i, 'untagged keys of one script are refused: tags are what makes it work')

  // The subscriber starts on the first node; publish on the primary of another slot.
  const subscriber = connectRedis(settings, { subscriber: true, offlineQueue: false, retriesPerRequest: 0 })
  t.teardown(async () => { await closeRedis(subscriber) })
  const heard: string[] = []
  subscriber.on('message', (_channel: string, message: string) => { heard.push(message) })
  await new Promise(resolve => subscriber.once('ready', resolve))
  await subscriber.subscribe('kit-channel')
  const until = async (what: string, condition: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise(resolve => setTimeout(resolve, 50))
    t.ok(condition(), what)
  }
  const publishAt = async (port: number, message: string): Promise<void> => {
    const node = new Redis({ port, password: 'node-secret' })
    await node.publish('kit-channel', message)
    node.disconnect()
  }
  for (const port of cluster.ports) await publishAt(port, `node ${port}`)
  await until('messages published on every node reach the subscriber', () => cluster.ports.every(port => heard.includes(`node ${port}`)))

  const first = cluster.ports[0] ?? 0
  const restarted = cluster.restart(first, 1000)
  // While its node is down the subscriber moves to the next configured node.
  await new Promise(resolve => subscriber.once('ready', resolve))
  t.not((subscriber as Redis).options.port, first, 'reconnected to another node')
  await subscriber.subscribe('kit-channel')
  await publishAt(cluster.ports[1] ?? 0, 'after the move')
  await until('the subscriber hears publishes again', () => heard.includes('after the move'))
  await restarted
  t.equal(await redis.get('spread:0'), '0', 'the cluster client reads every slot again after the restart')
})
