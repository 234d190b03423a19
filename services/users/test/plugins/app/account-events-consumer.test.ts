import t from 'tap'
import { randomUUID } from 'node:crypto'
import { deadLetterKey, streamKey } from '@latchkey/account-events'
import { accountCreated, accountDeleted, bearer, build, waitFor } from '../../helper.js'

const world = await build(t, { events: 'redis', claimIdleMs: 200 })
const { app, sql } = world
/** The instance currently consuming; tests that restart the service replace it. */
let running = app

async function profileName (id: string): Promise<string | undefined> {
  const [row] = await sql<Array<{ name: string }>>`SELECT name FROM profiles WHERE id = ${id}`
  return row?.name
}

async function processed (eventId: string): Promise<boolean> {
  return (await sql`SELECT 1 FROM processed_events WHERE event_id = ${eventId}`).length === 1
}

t.test('account.created › creates the profile with the registered name, readable at GET /users/me', async t => {
  const id = randomUUID()
  await world.publish(accountCreated(id, '  Ada Lovelace '))
  await waitFor(async () => (await profileName(id)) !== undefined, 10_000)
  t.equal(await profileName(id), 'Ada Lovelace')
  const res = await app.inject({ method: 'GET', url: '/users/me', headers: bearer(await world.token({ sub: id })) })
  t.equal(res.statusCode, 200)
  t.equal(res.json().name, 'Ada Lovelace')
})

t.test('account.deleted › removes the profile', async t => {
  const id = randomUUID()
  await world.publish(accountCreated(id, 'Doomed'))
  await waitFor(async () => (await profileName(id)) !== undefined)
  const deleted = accountDeleted(id)
  await world.publish(deleted)
  await waitFor(async () => await processed(deleted.id))
  t.equal(await profileName(id), undefined)
  const res = await app.inject({ method: 'GET', url: `/users/${id}`, headers: bearer(await world.token()) })
  t.equal(res.statusCode, 404)
})

t.test('account events › the same event delivered twice changes nothing', async t => {
  const id = randomUUID()
  const created = accountCreated(id, 'Once')
  await world.publish(created)
  await waitFor(async () => (await profileName(id)) !== undefined)
  await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(await world.token({ sub: id })), payload: { name: 'Edited' } })
  const [before] = await sql`SELECT * FROM profiles WHERE id = ${id}`
  await world.publish(created)
  const marker = accountCreated(randomUUID(), 'marker')
  await world.publish(marker)
  await waitFor(async () => await processed(marker.id))
  const [after] = await sql`SELECT * FROM profiles WHERE id = ${id}`
  t.same(after, before)
  t.equal((await sql`SELECT count(*)::int AS n FROM processed_events WHERE event_id = ${created.id}`)[0]?.n, 1)
})

t.test('account events › a created arriving after the deleted never resurrects the profile', async t => {
  const id = randomUUID()
  const created = accountCreated(id, 'Ghost')
  await world.publish(accountDeleted(id))
  await world.publish(created)
  await waitFor(async () => await processed(created.id))
  t.equal(await profileName(id), undefined)
  await world.publish(accountCreated(id, 'Ghost again'))
  const marker = accountCreated(randomUUID(), 'marker')
  await world.publish(marker)
  await waitFor(async () => await processed(marker.id))
  t.equal(await profileName(id), undefined)
})

t.test('account events › disabled and enabled are recorded and leave the profile as it is', async t => {
  const id = randomUUID()
  await world.publish(accountCreated(id, 'Toggle'))
  const disabled = { id: randomUUID(), occurredAt: new Date().toISOString(), type: 'account.disabled' as const, data: { id } }
  const enabled = { id: randomUUID(), occurredAt: new Date().toISOString(), type: 'account.enabled' as const, data: { id } }
  await world.publish(disabled)
  await world.publish(enabled)
  await waitFor(async () => await processed(enabled.id))
  t.ok(await processed(disabled.id))
  t.equal(await profileName(id), 'Toggle')
})

t.test('account events › a malformed entry lands in the dead-letter stream and later events still apply', async t => {
  const key = streamKey(world.prefix)
  const badId = await world.redis.xadd(key, '*', 'event', '{"type":"account.created","data":{"id":"nope"}}')
  const garbage = await world.redis.xadd(key, '*', 'event', 'not json at all')
  const id = randomUUID()
  await world.publish(accountCreated(id, 'After the poison'))
  await waitFor(async () => (await profileName(id)) !== undefined)
  const dead = await world.redis.xrange(deadLetterKey(world.prefix), '-', '+')
  const originals = dead.map(([, fields]) => fields[fields.indexOf('originalId') + 1])
  t.ok(originals.includes(String(badId)) && originals.includes(String(garbage)))
  await waitFor(async () => Number((await world.redis.xpending(key, 'users'))[0]) === 0)
})

t.test('account events › with the service stopped during 50 registrations and 10 deletions, a restart catches up exactly', async t => {
  await running.close()
  const ids = Array.from({ length: 50 }, () => randomUUID())
  const deletedIds = ids.slice(0, 10)
  for (const [i, id] of ids.entries()) await world.publish(accountCreated(id, `Catch-up ${String(i).padStart(2, '0')}`))
  for (const id of deletedIds) await world.publish(accountDeleted(id))
  t.equal((await sql`SELECT count(*)::int AS n FROM profiles WHERE id = ANY(${ids}::uuid[])`)[0]?.n, 0, 'nothing applied while stopped')
  const started = Date.now()
  running = await world.rebuild(world.redisConsumer())
  const live = ids.slice(10)
  await waitFor(async () => {
    const [row] = await sql<Array<{ live: number, processed: number }>>`
      SELECT (SELECT count(*)::int FROM profiles WHERE id = ANY(${live}::uuid[])) AS live,
             (SELECT count(*)::int FROM deleted_accounts WHERE id = ANY(${deletedIds}::uuid[])) AS processed`
    return row?.live === 40 && row.processed === 10
  }, 10_000)
  t.comment(`caught up 60 events in ${Date.now() - started} ms`)
  t.equal((await sql`SELECT count(*)::int AS n FROM profiles WHERE id = ANY(${deletedIds}::uuid[])`)[0]?.n, 0, 'deleted ones are gone')
  t.equal((await sql`SELECT count(*)::int AS n FROM profiles WHERE id = ANY(${ids}::uuid[])`)[0]?.n, 40, 'no duplicates')
  const res = await running.inject({ method: 'GET', url: '/health/ready' })
  t.equal(res.statusCode, 200)
})

t.test('account events › an entry left pending by a crashed consumer is claimed by another', async t => {
  const key = streamKey(world.prefix)
  await running.close()
  const id = randomUUID()
  await world.publish(accountCreated(id, 'Orphan'))
  // A consumer reads the entry and dies before acknowledging it.
  await world.redis.call('XREADGROUP', ['GROUP', 'users', 'crashed-consumer', 'COUNT', 100, 'STREAMS', key, '>'])
  const [pendingCount] = await world.redis.xpending(key, 'users')
  t.equal(Number(pendingCount), 1)
  running = await world.rebuild(world.redisConsumer())
  await waitFor(async () => (await profileName(id)) !== undefined, 5000)
  await waitFor(async () => Number((await world.redis.xpending(key, 'users'))[0]) === 0, 5000)
  t.equal(await profileName(id), 'Orphan')
})
