import t from 'tap'
import { skipWithoutRedis, startRedisSentinelGroup, testRedisUrl } from '@latchkey/test-support'
import { closeRedis, connectRedis, redisSettingsOf } from '../src/index.js'

t.test('redisSettingsOf › REDIS_SENTINELS selects Sentinel mode with its credentials; REDIS_URL one server; neither, in process', async t => {
  t.same(redisSettingsOf({
    REDIS_SENTINELS: 's1:26379,[::1]:26380',
    REDIS_SENTINEL_NAME: 'latchkey',
    REDIS_SENTINEL_PASSWORD: 'sp',
    REDIS_USERNAME: 'latchkey-auth',
    REDIS_PASSWORD: 'dp',
    REDIS_COMMAND_TIMEOUT: 500
  }), {
    sentinel: { sentinels: [{ host: 's1', port: 26379 }, { host: '::1', port: 26380 }], name: 'latchkey', sentinelPassword: 'sp', username: 'latchkey-auth', password: 'dp' },
    commandTimeoutMs: 500
  })
  t.same(redisSettingsOf({ REDIS_URL: 'redis://r:6379', REDIS_COMMAND_TIMEOUT: 1000 }), { url: 'redis://r:6379', commandTimeoutMs: 1000 })
  t.equal(redisSettingsOf({ REDIS_COMMAND_TIMEOUT: 1000 }), undefined)
  t.throws(() => connectRedis({}), /URL, sentinels or cluster nodes/)
})

t.test('connectRedis › in Sentinel mode, writes go to the primary the sentinels name, with the data-node and sentinel passwords, and follow a failover', { skip: await skipWithoutRedis() }, async t => {
  const group = await startRedisSentinelGroup({ password: 'data-secret', sentinelPassword: 'sentinel-secret' })
  t.teardown(async () => { await group.stop() })
  const sentinels = group.sentinels.split(',').map(address => ({ host: '127.0.0.1', port: Number(address.split(':')[1]) }))
  const redis = connectRedis({ sentinel: { sentinels, name: group.name, sentinelPassword: 'sentinel-secret', password: 'data-secret' } })
  t.teardown(async () => { await closeRedis(redis) })
  await redis.set('k', 'before')
  t.equal((await redis.config('GET', 'port'))[1], String(await group.primaryPort()), 'connected to the primary')

  const old = await group.killPrimary()
  const promoted = await group.whenPromoted(old)
  let written = false
  for (let attempt = 0; attempt < 50 && !written; attempt++) {
    written = await redis.set('k', 'after').then(() => true, async () => { await new Promise(resolve => setTimeout(resolve, 100)); return false })
  }
  t.ok(written, 'writes succeed again after the failover')
  t.equal((await redis.config('GET', 'port'))[1], String(promoted), 'on the promoted replica')
  t.equal(await redis.get('k'), 'after')

  // The offline queue waits for a connection within the command timeout: it never comes.
  const wrong = connectRedis({ sentinel: { sentinels, name: group.name, sentinelPassword: 'not-it', password: 'data-secret' }, commandTimeoutMs: 500 })
  t.teardown(async () => { await closeRedis(wrong) })
  await t.rejects(wrong.ping(), 'a wrong sentinel password reaches no primary')
})

t.test('connectRedis › a connection ioredis ends on its own (not closed by this process) starts again; one closed by the caller stays closed', { skip: await skipWithoutRedis() }, async t => {
  const url = await testRedisUrl() ?? ''
  const redis = connectRedis({ url })
  t.teardown(async () => { await closeRedis(redis) })
  await redis.ping()
  // What ioredis does when a late failure of one attempt cancels the next: the socket gone,
  // status 'end' without a 'close', no retry.
  const internal = redis as unknown as { stream: { removeAllListeners (): void, destroy (): void }, setStatus (status: string): void }
  internal.stream.removeAllListeners()
  internal.stream.destroy()
  internal.setStatus('end')
  t.equal(redis.status, 'end')
  // The restart timer is unref'd (it must not hold a closing process open): wait with one that is not.
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(redis.status, 'ready')
  t.equal(await redis.ping(), 'PONG', 'started again')

  await closeRedis(redis)
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(redis.status, 'end', 'closeRedis (quit, then disconnect) ends it for good')
  const reader = connectRedis({ url })
  await reader.ping()
  reader.disconnect()
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(reader.status, 'end', 'so does a plain disconnect()')
})
