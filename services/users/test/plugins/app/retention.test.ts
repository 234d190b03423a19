import t from 'tap'
import { randomUUID } from 'node:crypto'
import { accountCreated, build, waitFor } from '../../helper.js'

t.test('retention › ASVS 14.2.7: the schedule deletes processed-event records past PROCESSED_EVENT_RETENTION, and only those', async t => {
  const world = await build(t, { env: { PROCESSED_EVENT_RETENTION: '3600', RETENTION_INTERVAL: '1' } })
  const { sql } = world
  await world.publish(accountCreated(randomUUID(), 'Ada'))
  // 1500 records two hours old (more than one batch), beside the fresh one just applied.
  await sql`
    INSERT INTO processed_events (event_id, event_type, processed_at)
    SELECT gen_random_uuid(), 'account.created', now() - interval '2 hours' FROM generate_series(1, 1500)`
  await waitFor(async () => (await sql`SELECT count(*)::int AS n FROM processed_events`)[0]?.n === 1, 3000)
  t.same(await sql`SELECT event_type FROM processed_events`, [{ eventType: 'account.created' }], 'the fresh record stays')
})
