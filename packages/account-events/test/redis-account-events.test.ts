import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import type { AccountEvent } from '@latchkey/contracts'
import { createRedisAccountEventConsumer, createRedisAccountEventPublisher, deadLetterKey, streamKey } from '../src/index.js'
import { createdEvent, randomPrefix, rawRedis, REDIS_URL, waitFor } from './helper.js'

const silent = { info () {}, warn () {}, error () {} }

function setup (t: Test, claimIdleMs = 30_000) {
  const prefix = randomPrefix()
  const redis = rawRedis(t, prefix)
  const publisher = createRedisAccountEventPublisher({ url: REDIS_URL, prefix, log: silent })
  t.teardown(() => publisher.close())
  const consumer = (name = `c-${randomUUID()}`) => {
    const c = createRedisAccountEventConsumer({ url: REDIS_URL, prefix, group: 'users', consumer: name, claimIdleMs, log: silent })
    t.teardown(() => c.close())
    return c
  }
  return { prefix, redis, publisher, consumer }
}

t.test('redis publish › appends one entry with the single field "event"', async t => {
  const { prefix, redis, publisher } = setup(t)
  const event = createdEvent()
  await publisher.publish(event)
  const entries = await redis.xrange(streamKey(prefix), '-', '+')
  t.equal(entries.length, 1)
  t.same(entries[0]?.[1], ['event', JSON.stringify(event)])
})

t.test('redis consumer › delivers events published before it ever ran, and acknowledges them', async t => {
  const { prefix, redis, publisher, consumer } = setup(t)
  const early = createdEvent('early')
  await publisher.publish(early)
  const seen: AccountEvent[] = []
  const c = consumer()
  await c.start(async event => { seen.push(event) })
  const late = createdEvent('late')
  await publisher.publish(late)
  await waitFor(() => seen.length === 2)
  t.same(seen.map(e => e.id), [early.id, late.id])
  await waitFor(async () => Number((await redis.xpending(streamKey(prefix), 'users'))[0]) === 0)
  t.equal(c.running, true)
  t.type(c.lagMs, 'number')
})

t.test('redis consumer › leaves an entry pending when the handler fails, and retries it once idle', async t => {
  const { prefix, redis, publisher, consumer } = setup(t, 200)
  let attempts = 0
  const c = consumer()
  await c.start(async () => {
    attempts++
    if (attempts === 1) throw new Error('transient')
  })
  await publisher.publish(createdEvent())
  await waitFor(() => attempts === 1)
  t.equal(Number((await redis.xpending(streamKey(prefix), 'users'))[0]), 1, 'still pending after the failure')
  await waitFor(() => attempts === 2)
  await waitFor(async () => Number((await redis.xpending(streamKey(prefix), 'users'))[0]) === 0)
})

t.test('redis consumer › moves a malformed entry to the dead-letter stream and keeps going', async t => {
  const { prefix, redis, publisher, consumer } = setup(t)
  const seen: string[] = []
  const c = consumer()
  await c.start(async event => { seen.push(event.id) })
  const badJson = await redis.xadd(streamKey(prefix), '*', 'event', '{not json')
  const badShape = await redis.xadd(streamKey(prefix), '*', 'event', JSON.stringify({ type: 'account.created', id: 'x' }))
  const extraField = await redis.xadd(streamKey(prefix), '*', 'event', '{}', 'other', '1')
  const good = createdEvent()
  await publisher.publish(good)
  await waitFor(() => seen.length === 1)
  t.same(seen, [good.id])
  const dead = await redis.xrange(deadLetterKey(prefix), '-', '+')
  t.same(dead.map(([, fields]) => fields[1]), [badJson, badShape, extraField])
  t.match(dead[0]?.[1], ['originalId', badJson, 'reason', /not valid JSON/])
  await waitFor(async () => Number((await redis.xpending(streamKey(prefix), 'users'))[0]) === 0)
})

t.test('redis consumer › claims an entry left pending by a crashed consumer', async t => {
  const { prefix, redis, publisher, consumer } = setup(t, 200)
  const key = streamKey(prefix)
  await redis.xgroup('CREATE', key, 'users', '0', 'MKSTREAM')
  const orphan = createdEvent('orphan')
  await publisher.publish(orphan)
  // A consumer reads the entry and dies before acknowledging it.
  await redis.call('XREADGROUP', ['GROUP', 'users', 'crashed', 'COUNT', 10, 'STREAMS', key, '>'])
  t.equal(Number((await redis.xpending(key, 'users'))[0]), 1)
  const seen: string[] = []
  const c = consumer('survivor')
  await c.start(async event => { seen.push(event.id) })
  await waitFor(() => seen.includes(orphan.id))
  await waitFor(async () => Number((await redis.xpending(key, 'users'))[0]) === 0)
})

t.test('redis consumer › survives an unreachable Redis and closes in bounded time', async t => {
  const c = createRedisAccountEventConsumer({ url: 'redis://127.0.0.1:1', prefix: randomPrefix(), group: 'users', consumer: 'lonely', log: silent })
  await c.start(async () => {})
  t.equal(c.running, false)
  await new Promise(resolve => setTimeout(resolve, 300))
  // Bounded means it settles at all: a close that waited on the unreachable Redis would hang the
  // test into tap's timeout instead.
  await t.resolves(c.close(), 'close settles while Redis is unreachable')
  t.equal(c.running, false)
})

t.test('redis publish › rejects while Redis is unreachable', async t => {
  const publisher = createRedisAccountEventPublisher({ url: 'redis://127.0.0.1:1', prefix: randomPrefix(), log: silent })
  await t.rejects(publisher.publish(createdEvent()))
  await publisher.close()
})

t.test('redis consumer › reconnects after its connections are killed and keeps consuming', async t => {
  const { redis, publisher, consumer } = setup(t)
  const name = `c-${randomUUID()}`
  const seen: string[] = []
  const c = consumer(name)
  await c.start(async event => { seen.push(event.id) })
  await publisher.publish(createdEvent())
  await waitFor(() => seen.length === 1)
  // Kill only this consumer's own connections (shared Redis: never touch other clients).
  const clients = String(await redis.call('CLIENT', ['LIST'])).split('\n')
  const ids = clients.filter(line => line.includes(`name=${name}:`)).map(line => /\bid=(\d+)/.exec(line)?.[1]).filter(id => id !== undefined)
  t.equal(ids.length, 2)
  for (const id of ids) await redis.call('CLIENT', ['KILL', 'ID', id])
  const after = createdEvent()
  await publisher.publish(after)
  await waitFor(() => seen.includes(after.id), 8000)
  t.equal(c.running, true)
})

t.test('redis retention › ASVS 14.2.7: trim removes only what every group acknowledged, never an entry not yet delivered or still pending; dead letters by age', async t => {
  const { prefix, redis, publisher } = setup(t)
  const key = streamKey(prefix)
  t.same(await publisher.trim(0), { events: 0, deadLetters: 0 }, 'no stream yet')
  for (let i = 0; i < 6; i++) await publisher.publish(createdEvent(`n${i}`))
  t.same(await publisher.trim(0), { events: 0, deadLetters: 0 }, 'no group has consumed the stream: nothing goes')

  const all = (await redis.xrange(key, '-', '+')).map(([id]) => id)
  await redis.xgroup('CREATE', key, 'users', '0')
  await redis.xgroup('CREATE', key, 'audit', '0')
  const read = async (group: string, count: number): Promise<string[]> => {
    const reply = await redis.xreadgroup('GROUP', group, 'c1', 'COUNT', count, 'STREAMS', key, '>') as Array<[string, Array<[string, string[]]>]> | null
    return (reply?.[0]?.[1] ?? []).map(([id]) => id)
  }
  const users = await read('users', 4)
  await redis.xack(key, 'users', ...users.slice(0, 3))
  const audit = await read('audit', 2)
  await redis.xack(key, 'audit', audit[0] ?? '')
  // users: 1-3 acknowledged, 4 pending, 5-6 not delivered; audit: 1 acknowledged, 2 pending.
  t.same(await publisher.trim(0), { events: 1, deadLetters: 0 }, 'only the first entry is done for both groups')
  await redis.xack(key, 'audit', audit[1] ?? '')
  t.equal((await publisher.trim(0)).events, 1, 'audit then acknowledged the second')
  t.equal((await publisher.trim(0)).events, 0, 'idempotent')
  t.equal((await publisher.trim(3_600_000)).events, 0, 'a window of an hour keeps these young entries')
  t.same((await redis.xrange(key, '-', '+')).map(([id]) => id), all.slice(2),
    'entries 3-6 stay: 3 (audit was never handed it), 4 (pending at users), 5 and 6 (never delivered)')

  await redis.xadd(deadLetterKey(prefix), '*', 'entry', 'x')
  t.same(await publisher.trim(3_600_000), { events: 0, deadLetters: 0 })
  t.same(await publisher.trim(0), { events: 0, deadLetters: 1 })
})
