import t from 'tap'
import { randomUUID } from 'node:crypto'
import { skipWithoutRedis, testRedisUrl, freePort } from '@latchkey/test-support'
import { closeRedis, connectRedis } from '../src/index.js'

const skip = await skipWithoutRedis()
const url = await testRedisUrl() ?? ''

t.test('connectRedis › RESP2, the connection named, and an error listener so an outage never throws', { skip }, async t => {
  const name = `redis-kit-${randomUUID().slice(0, 8)}`
  const redis = connectRedis({ url }, { name })
  t.teardown(async () => { await closeRedis(redis) })
  t.equal(await redis.client('GETNAME'), name)
  t.match(await redis.client('INFO'), /\bresp=2\b/)
  t.equal(redis.listenerCount('error'), 1)
})

t.test('connectRedis › a command that outlasts REDIS_COMMAND_TIMEOUT fails; slackMs extends the bound', { skip }, async t => {
  const key = `latchkey_t_${randomUUID()}:empty-list`
  const strict = connectRedis({ url, commandTimeoutMs: 50 })
  const slack = connectRedis({ url, commandTimeoutMs: 50 }, { slackMs: 5_000 })
  t.teardown(async () => { await Promise.all([closeRedis(strict), closeRedis(slack)]) })
  await Promise.all([strict.ping(), slack.ping()])
  // BLPOP on an empty list answers only when its own 0.3 s block ends.
  await t.rejects(strict.blpop(key, 0.3), /timed out/i)
  t.equal(await slack.blpop(key, 0.3), null)
})

t.test('connectRedis › errors go to onError; without the offline queue a command fails at once while Redis is away', async t => {
  const port = await freePort()
  const errors: Error[] = []
  const queued = connectRedis({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 200 }, { onError: error => { errors.push(error) } })
  const unqueued = connectRedis({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 60_000 }, { offlineQueue: false })
  t.teardown(async () => { await Promise.all([closeRedis(queued), closeRedis(unqueued)]) })
  await t.rejects(unqueued.ping(), /enableOfflineQueue/, 'refused without waiting the 60 s bound')
  await t.rejects(queued.ping(), /timed out|retries/i, 'queued, then failed within the bound')
  t.ok(errors.length > 0, 'the connection errors reached onError')
  t.match(errors[0], { code: 'ECONNREFUSED' })
})
