/**
 * Retention (issue 13 item 7): the bookkeeping of applied account events (processed_events, ids
 * and types only) is deleted PROCESSED_EVENT_RETENTION after it was written. It only guards
 * against applying a redelivered event twice, and the auth service trims the stream entries that
 * could be redelivered OUTBOX_RETENTION after they were acknowledged: keep this window at least as
 * long. Every replica runs it at a random offset within RETENTION_INTERVAL; each DELETE takes one
 * batch with SKIP LOCKED, so replicas share the work, and a second run finds nothing.
 */
import fp from 'fastify-plugin'
import type { Sql } from 'postgres'
import { schedulePeriodicJob } from '@latchkey/service-kit'

const BATCH = 1000

export interface RetentionOptions {
  sql: Sql
  processedEventRetentionSeconds: number
  intervalSeconds: number
}

export function createRetention (options: RetentionOptions) {
  const { sql } = options
  return {
    async runOnce (): Promise<{ processedEvents: number }> {
      let total = 0
      for (;;) {
        const { count } = await sql`
          DELETE FROM processed_events WHERE event_id IN (
            SELECT event_id FROM processed_events
            WHERE processed_at < now() - ${options.processedEventRetentionSeconds} * interval '1 second'
            LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`
        total += count
        if (count < BATCH) return { processedEvents: total }
      }
    }
  }
}

export type Retention = ReturnType<typeof createRetention>

declare module 'fastify' {
  interface FastifyInstance { retention: Retention }
}

export default fp(async function retention (app, options: RetentionOptions) {
  const retention = createRetention(options)
  app.decorate('retention', retention)
  schedulePeriodicJob(app, {
    intervalMs: options.intervalSeconds * 1000,
    run: async () => await retention.runOnce(),
    describe: counts => ({ fields: { retention: counts }, msg: 'retention: old rows deleted' })
  })
}, { name: 'retention', dependencies: ['postgres'] })
