/**
 * Retention (issue 13 item 7): what the auth service no longer needs is deleted on a schedule.
 * Ended sessions (revoked, idle-expired or past their absolute lifetime) go SESSION_RETENTION after
 * they ended; published account events, sent or dead mails, acknowledged stream entries and dead
 * letters go OUTBOX_RETENTION after delivery. Every replica runs it (at a random offset within
 * RETENTION_INTERVAL): each statement deletes one batch it locked with SKIP LOCKED, so replicas
 * share the work instead of waiting on each other, and a second run finds nothing (idempotent).
 */
import fp from 'fastify-plugin'
import type { Sql } from 'postgres'
import { schedulePeriodicJob } from '@latchkey/service-kit'

const BATCH = 1000

export interface RetentionOptions {
  sql: Sql
  sessionRetentionSeconds: number
  sessionMaxLifetimeSeconds: number
  outboxRetentionSeconds: number
  intervalSeconds: number
  /** The Redis event publisher's trim, when events travel over Redis. */
  trimStream?: ((olderThanMs: number) => Promise<{ events: number, deadLetters: number }>) | undefined
}

export interface RetentionCounts {
  sessions: number
  outbox: number
  mails: number
  streamEntries: number
  deadLetters: number
}

export function createRetention (options: RetentionOptions) {
  const { sql } = options
  const sessionSeconds = options.sessionRetentionSeconds
  const outboxSeconds = options.outboxRetentionSeconds

  /** Repeats one batched DELETE until a batch comes back short. */
  async function drain (deleteBatch: () => Promise<{ count: number }>): Promise<number> {
    let total = 0
    for (;;) {
      const deleted = (await deleteBatch()).count
      total += deleted
      if (deleted < BATCH) return total
    }
  }

  return {
    async runOnce (): Promise<RetentionCounts> {
      const sessions = await drain(async () => await sql`
        DELETE FROM sessions WHERE id IN (
          SELECT id FROM sessions
          WHERE revoked_at < now() - ${sessionSeconds} * interval '1 second'
             OR expires_at < now() - ${sessionSeconds} * interval '1 second'
             OR created_at < now() - ${options.sessionMaxLifetimeSeconds + sessionSeconds} * interval '1 second'
          LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`)
      const outbox = await drain(async () => await sql`
        DELETE FROM outbox WHERE id IN (
          SELECT id FROM outbox WHERE published_at < now() - ${outboxSeconds} * interval '1 second'
          LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`)
      const mails = await drain(async () => await sql`
        DELETE FROM mail_outbox WHERE id IN (
          SELECT id FROM mail_outbox WHERE coalesce(sent_at, dead_at) < now() - ${outboxSeconds} * interval '1 second'
          LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`)
      const stream = await options.trimStream?.(outboxSeconds * 1000) ?? { events: 0, deadLetters: 0 }
      return { sessions, outbox, mails, streamEntries: stream.events, deadLetters: stream.deadLetters }
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
    describe: counts => ({ fields: { retention: counts }, msg: 'retention: old rows and stream entries deleted' })
  })
}, { name: 'retention' })
