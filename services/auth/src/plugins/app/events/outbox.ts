/**
 * Transactional outbox for account events: `recordEvent` writes the event in the caller's
 * transaction; the relay publishes unpublished rows right after commit (`flush`) and sweeps on a
 * timer for anything a crash or an absent consumer left behind. Delivery is at least once; the
 * users service applies each event id once.
 */
import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Sql, TransactionSql } from 'postgres'
import type { AccountEvent } from '@latchkey/contracts'
import type { AccountEventPublisher } from '@latchkey/account-events'

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
    return await sql.begin(async tx => {
      // SKIP LOCKED: replicas relaying at once take different rows instead of waiting.
      const rows = await tx<Array<{ id: string, payload: AccountEvent }>>`
        SELECT id, payload FROM outbox WHERE published_at IS NULL
        ORDER BY created_at LIMIT ${options.batchSize ?? 100} FOR UPDATE SKIP LOCKED`
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
      if (published.length > 0) await tx`UPDATE outbox SET published_at = now() WHERE id = ANY(${published}::uuid[])`
      return published.length === rows.length ? rows.length : 0
    })
  }

  async function drain (): Promise<void> {
    do {
      again = false
      while (await relayOnce() > 0) { /* keep draining full batches */ }
    } while (again)
  }

  return {
    /** Publishes whatever is pending; concurrent calls coalesce into one more pass. */
    async flush (): Promise<void> {
      if (running !== undefined) {
        again = true
        return await running
      }
      running = drain().finally(() => { running = undefined })
      return await running
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
  const sweep = (): void => { relay.flush().catch(error => { app.log.warn({ err: error }, 'outbox sweep failed') }) }
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
