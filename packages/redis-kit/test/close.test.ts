import t from 'tap'
import { startOwnRedis } from '@latchkey/test-support'
import { closeRedis, connectRedis, type RedisClient } from '../src/index.js'

async function named (watcher: RedisClient, name: string): Promise<boolean> {
  return (await watcher.client('LIST') as string).includes(`name=${name} `)
}

async function eventually (check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  throw new Error('not within 5 s')
}

t.test('closeRedis › QUITs a connected client: the server sees it leave, and the client has ended', async t => {
  const server = await startOwnRedis()
  t.teardown(async () => { await server.stop() })
  const watcher = connectRedis({ url: server.url })
  t.teardown(async () => { await closeRedis(watcher) })
  const redis = connectRedis({ url: server.url }, { name: 'leaving' })
  await redis.ping()
  t.ok(await named(watcher, 'leaving'))
  await closeRedis(redis)
  t.equal(redis.status, 'end')
  t.notOk(await named(watcher, 'leaving'))
  await closeRedis(redis)
  t.equal(redis.status, 'end', 'closing twice is harmless')
})

t.test('closeRedis › a server that never answers QUIT costs the timeout, not a hang; the connection is gone once it answers again', async t => {
  const server = await startOwnRedis()
  t.teardown(async () => { server.resume(); await server.stop() })
  const redis = connectRedis({ url: server.url, commandTimeoutMs: 60_000 }, { name: 'paused' })
  await redis.ping()
  server.pause()
  // No clock assertion: a close that waited for the server would run into the test's time limit.
  await closeRedis(redis, 100)
  server.resume()
  const watcher = connectRedis({ url: server.url })
  t.teardown(async () => { await closeRedis(watcher) })
  await eventually(async () => !await named(watcher, 'paused'))
  t.equal(redis.status, 'end')
})

t.test('closeRedis › a client whose server was killed stops reconnecting, even once the server is back', async t => {
  const server = await startOwnRedis()
  t.teardown(async () => { await server.stop() })
  const redis = connectRedis({ url: server.url })
  await redis.ping()
  await server.stop()
  await new Promise<void>(resolve => { redis.once('reconnecting', () => { resolve() }) })
  await closeRedis(redis)
  let reconnected = false
  redis.on('connect', () => { reconnected = true })
  await server.start()
  // Longer than the longest pause between reconnect attempts (500 ms).
  await new Promise(resolve => setTimeout(resolve, 700))
  t.notOk(reconnected)
})
