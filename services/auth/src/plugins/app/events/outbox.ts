/**
 * Transactional outbox for account events: `recordEvent` writes the event in the caller's
 * transaction; the relay publishes unpublished rows right after commit (`flush`) and sweeps on a
 * timer for anything a crash or an absent consumer left behind. Delivery is at least once (a
 * publish that timed out may still land, and is sent again); the users service applies each
 * event id once.
 */
import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Sql, TransactionSql } from 'postgres'
import type { AccountEvent } from '@latchkey/contracts'
import type { AccountEventPublisher } from '@latchkey/account-events'

/** Longer than a batch takes to publish; a relay that died holding rows frees them after it. */
const CLAIM_SECONDS = 60

type EventInput = { [T in AccountEvent['type']]: { type: T, data: Extract<AccountEvent, { type: T }>['data'] } }[AccountEvent['type']]

export async function recordEvent (tx: TransactionSql, input: EventInput): Promise<void> {
  const event = { id: randomUUID(), occurredAt: new Date().toISOString(), ...input } as AccountEvent
  await tx`INSERT INTO outbox (id, type, payload) VALUES (${event.id}, ${event.type}, ${tx.json(event)})`
}

export function createOutboxRelay (options: { sql: Sql, publisher: AccountEventPublisher, log: FastifyBaseLogger, batchSize?: number }) {
  const { sql, publisher, log } = options
  let running: Promise<void> | undefined
  let again = false

  async function relayOnce (): Promise<number> {
    // Claimed in one statement and published outside any transaction: a Redis that does not
    // answer holds no PostgreSQL transaction (nor row locks) open. SKIP LOCKED and the claim let
    // replicas relaying at once take different rows.
    const claimed = await sql<Array<{ id: string, payload: AccountEvent, createdAt: Date }>>`
      UPDATE outbox SET claimed_until = now() + ${CLAIM_SECONDS} * interval '1 second'
      WHERE id IN (
        SELECT id FROM outbox WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY created_at LIMIT ${options.batchSize ?? 100} FOR UPDATE SKIP LOCKED)
      RETURNING id, payload, created_at`
    const rows = claimed.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
    const published: string[] = []
    for (const row of rows) {
      try {
        await publisher.publish(row.payload)
        published.push(row.id)
      } catch (error) {
        log.warn({ err: error, eventId: row.id }, 'account event not delivered yet; will retry')
        break
      }
    }
    // What was not published is released at once: the next pass retries it without waiting.
    // What was published keeps no personal data: the stream has the event now, and the row is
    // only bookkeeping until retention deletes it.
    if (rows.length > 0) {
      await sql`
        UPDATE outbox SET
          published_at = CASE WHEN id = ANY(${published}::uuid[]) THEN now() END,
          payload = CASE WHEN id = ANY(${published}::uuid[]) THEN payload #- '{data,name}' #- '{data,email}' ELSE payload END,
          claimed_until = NULL
        WHERE id = ANY(${rows.map(row => row.id)}::uuid[])`
    }
    return published.length === rows.length ? rows.length : 0
  }

  async function drain (): Promise<void> {
    do {
      again = false
      while (await relayOnce() > 0) { /* keep draining full batches */ }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- flush() sets it while this pass awaits
    } while (again)
  }

  return {
    /** Publishes whatever is pending; concurrent calls coalesce into one more pass. */
    async flush (): Promise<void> {
      if (running !== undefined) {
        again = true
        await running
        return
      }
      running = drain().finally(() => { running = undefined })
      await running
    },
    /** Resolves once no relay pass is running (closing waits for it before the pool ends). */
    async idle (): Promise<void> {
      await running?.catch(() => {})
    },
    async lagMs (): Promise<number> {
      const [row] = await sql<Array<{ lag: number | null }>>`
        SELECT (extract(epoch FROM now() - min(created_at)) * 1000)::float8 AS lag FROM outbox WHERE published_at IS NULL`
      return row?.lag ?? 0
    }
  }
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>

declare module 'fastify' {
  interface FastifyInstance { outbox: OutboxRelay }
}

export default fp(async function outbox (app, options: { sql: Sql, publisher: AccountEventPublisher, sweepEveryMs?: number }) {
  const relay = createOutboxRelay({ sql: options.sql, publisher: options.publisher, log: app.log })
  app.decorate('outbox', relay)
  let timer: NodeJS.Timeout | undefined
  const sweep = (): void => { relay.flush().catch((error: unknown) => { app.log.warn({ err: error }, 'outbox sweep failed') }) }
  app.addHook('onReady', async () => {
    sweep()
    timer = setInterval(sweep, options.sweepEveryMs ?? 1000)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await relay.idle()
  })
}, { name: 'outbox' })
