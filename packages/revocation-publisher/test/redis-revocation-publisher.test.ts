/**
 * The Redis publisher against the machine's Redis (a random key prefix per test): what it writes
 * is what the guard's feed reads (the layout and messages of @latchkey/contracts' revocations.ts),
 * read back here with plain commands. The guard's own tests run the whole path into a view.
 */
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { parseRevocationMessage, revocationKeys, type RevocationMessage } from '@latchkey/contracts'
import { skipWithoutRedis, startOwnRedis, testRedisUrl } from '@latchkey/test-support'
import { createRedisRevocationPublisher } from '../src/index.js'

const skip = await skipWithoutRedis()
const url = await testRedisUrl() ?? ''

function setUp (t: Test) {
  const prefix = `latchkey_t_${randomUUID().slice(0, 8)}:`
  const keys = revocationKeys(prefix)
  const publisher = createRedisRevocationPublisher({ url, prefix })
  const redis = new Redis(url, { protocol: 2 })
  const subscriber = new Redis(url, { protocol: 2 })
  t.teardown(async () => {
    await publisher.close()
    await redis.del(keys.sessions, keys.accounts, keys.seeded, keys.seq)
    redis.disconnect()
    subscriber.disconnect()
  })
  return { keys, publisher, redis, subscriber }
}

async function listen (subscriber: Redis, channel: string): Promise<RevocationMessage[]> {
  const messages: RevocationMessage[] = []
  subscriber.on('message', (_channel: string, raw: string) => {
    const message = parseRevocationMessage(raw)
    if (message !== undefined) messages.push(message)
  })
  await subscriber.subscribe(channel)
  return messages
}

t.test('publish › records each entry in its sorted set (a later, shorter expiry never shortens it), counts it and broadcasts it with its seq', { skip }, async t => {
  const { keys, publisher, redis, subscriber } = setUp(t)
  const messages = await listen(subscriber, keys.channel)
  const expiresAt = Date.now() + 60_000
  await publisher.publish([
    { kind: 'session', sid: 's1', expiresAt },
    { kind: 'account', sub: 'a:1', minVersion: 3, expiresAt }
  ])
  await publisher.publish([{ kind: 'session', sid: 's1', expiresAt: expiresAt - 30_000 }])
  await publisher.publish([])
  t.equal(await redis.zscore(keys.sessions, 's1'), String(expiresAt))
  t.equal(await redis.zscore(keys.accounts, 'a:1:3'), String(expiresAt), 'the member carries the version after the last colon')
  t.equal(await redis.get(keys.seq), '3')
  await redis.ping()
  await subscriber.ping()
  t.same(messages.map(message => message.type === 'entry' ? [message.seq, message.entry.kind] : undefined), [[1, 'session'], [2, 'account'], [3, 'session']])
})

t.test('publish › prunes expired members and refuses a malformed entry', { skip }, async t => {
  const { keys, publisher, redis } = setUp(t)
  await redis.zadd(keys.sessions, String(Date.now() - 1), 'expired')
  await publisher.publish([{ kind: 'session', sid: 'live', expiresAt: Date.now() + 60_000 }])
  t.same(await redis.zrange(keys.sessions, '0', '-1'), ['live'])
  await t.rejects(publisher.publish([{ kind: 'session', sid: '', expiresAt: Date.now() }]), TypeError)
})

t.test('seed › writes every entry without broadcasting, in chunks, then the epoch marker; a heartbeat goes out only for that epoch', { skip }, async t => {
  const { keys, publisher, redis, subscriber } = setUp(t)
  const messages = await listen(subscriber, keys.channel)
  t.equal(await publisher.currentEpoch(), undefined, 'unseeded')
  t.equal(await publisher.heartbeat('not-the-epoch'), false)
  const expiresAt = Date.now() + 60_000
  const entries = Array.from({ length: 2_500 }, (_, i) => ({ kind: 'session' as const, sid: `s${i}`, expiresAt }))
  const epoch = await publisher.seed([...entries, { kind: 'account', sub: 'a', minVersion: 1, expiresAt }])
  t.equal(await publisher.currentEpoch(), epoch)
  t.equal(await redis.zcard(keys.sessions), 2_500)
  t.equal(await redis.zcard(keys.accounts), 1)
  t.equal(await publisher.heartbeat(epoch), true)
  t.equal(await publisher.heartbeat('not-the-epoch'), false)
  await redis.del(keys.seeded)
  t.equal(await publisher.heartbeat(epoch), false, 'not once the store lost its marker (data loss)')
  await subscriber.ping()
  t.same(messages, [{ type: 'heartbeat', epoch, seq: 0 }], 'the seed broadcast nothing; one heartbeat went out')
})

t.test('close › bounded even when Redis never answers', async t => {
  const server = await startOwnRedis()
  t.teardown(async () => { server.resume(); await server.stop() })
  const publisher = createRedisRevocationPublisher({ url: server.url, prefix: 'p:', commandTimeoutMs: 60_000 })
  t.equal(await publisher.currentEpoch(), undefined)
  server.pause()
  // No clock assertion: a close that waited for the server would run into the test's time limit.
  await publisher.close()
  t.pass('closed')
})
