/**
 * Transactional mail outbox. `queueMail` writes what to send in the caller's transaction, so a
 * committed change always gets its mail and a rolled-back one never does. The relay delivers after
 * commit (`flush`) and on a timer: it leases due rows (so replicas take different ones and a
 * crashed sender's rows come back), composes each mail only then (tokens are minted at that moment
 * and never stored in the clear), sends it, and on failure retries with doubling delays until
 * MAIL_MAX_ATTEMPTS, after which the mail is dead-lettered. Logs name the mail id and kind, never
 * an address or a link.
 */
import fp from 'fastify-plugin'
import type { FastifyBaseLogger } from 'fastify'
import type { Sql, TransactionSql } from 'postgres'
import type { MailKind, RenderedMail } from './mail-templates.js'
import type { MailTransport } from './mail-transport.js'

export interface MailIntent {
  kind: MailKind
  accountId?: string
  address?: string
}

export interface MailRow { id: string, kind: MailKind, accountId: string | null, address: string | null, attempts: number }

/** What a row becomes when it is sent: a recipient and a rendered mail, or nothing (no longer applies). */
export type ComposedMail = RenderedMail & { to: string }
export type MailComposer = (row: MailRow) => Promise<ComposedMail | undefined>

export type MailOutcome = 'sent' | 'skipped' | 'retried' | 'dead_lettered'

/** A leased row is someone's for this long; a sender that died returns it to the queue after it. */
const LEASE_SECONDS = 120
const MAX_DELAY_MS = 3600 * 1000

export async function queueMail (tx: TransactionSql | Sql, intent: MailIntent): Promise<void> {
  await tx`INSERT INTO mail_outbox (kind, account_id, address) VALUES (${intent.kind}, ${intent.accountId ?? null}, ${intent.address ?? null})`
}

export interface MailRelayOptions {
  sql: Sql
  transport: MailTransport
  compose: MailComposer
  from: string
  maxAttempts: number
  retryDelayMs: number
  log: FastifyBaseLogger
}

export function createMailRelay (options: MailRelayOptions) {
  const { sql, transport, log } = options
  const observers: Array<(kind: MailKind, outcome: MailOutcome) => void> = []
  let running: Promise<void> | undefined
  let again = false
  let stopped = false

  function observed (kind: MailKind, outcome: MailOutcome): void {
    for (const observer of observers) observer(kind, outcome)
  }

  async function lease (): Promise<MailRow[]> {
    return await sql<MailRow[]>`
      UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = now() + ${LEASE_SECONDS} * interval '1 second'
      WHERE id IN (
        SELECT id FROM mail_outbox WHERE sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= now()
        ORDER BY next_attempt_at LIMIT 20 FOR UPDATE SKIP LOCKED)
      RETURNING id, kind, account_id, address, attempts`
  }

  async function deliver (row: MailRow): Promise<void> {
    try {
      const mail = await options.compose(row)
      if (mail === undefined) {
        await sql`UPDATE mail_outbox SET sent_at = now() WHERE id = ${row.id}`
        observed(row.kind, 'skipped')
        return
      }
      const { file } = await transport.send({ from: options.from, ...mail })
      await sql`UPDATE mail_outbox SET sent_at = now(), last_error = NULL WHERE id = ${row.id}`
      observed(row.kind, 'sent')
      if (file !== undefined) log.info({ mailId: row.id, kind: row.kind, file }, 'mail written to a file (no SMTP_URL)')
      else log.info({ mailId: row.id, kind: row.kind }, 'mail sent')
    } catch (error) {
      const reason = describe(error)
      if (row.attempts >= options.maxAttempts) {
        await sql`UPDATE mail_outbox SET dead_at = now(), last_error = ${reason} WHERE id = ${row.id}`
        observed(row.kind, 'dead_lettered')
        log.error({ mailId: row.id, kind: row.kind, attempts: row.attempts, reason }, 'mail dead-lettered: every delivery attempt failed')
        return
      }
      const delayMs = Math.min(MAX_DELAY_MS, options.retryDelayMs * 2 ** (row.attempts - 1))
      await sql`UPDATE mail_outbox SET next_attempt_at = now() + ${delayMs} * interval '1 millisecond', last_error = ${reason} WHERE id = ${row.id}`
      observed(row.kind, 'retried')
      log.warn({ mailId: row.id, kind: row.kind, attempts: row.attempts, retryInMs: delayMs, reason }, 'mail not delivered yet; will retry')
    }
  }

  async function drain (): Promise<void> {
    do {
      again = false
      for (let rows = await lease(); rows.length > 0; rows = await lease()) {
        const untried = [...rows]
        // eslint-disable-next-line no-unmodified-loop-condition -- stop() sets it while a delivery awaits
        while (!stopped) {
          const row = untried.shift()
          if (row === undefined) break
          await deliver(row)
        }
        if (stopped) {
          // Closing: rows leased but not tried go back to the queue at once, not when their lease ends.
          if (untried.length > 0) await sql`UPDATE mail_outbox SET attempts = attempts - 1, next_attempt_at = now() WHERE id = ANY(${untried.map(row => row.id)}::uuid[])`
          return
        }
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition, no-unmodified-loop-condition -- flush() and stop() set them while this pass awaits
    } while (again && !stopped)
  }

  return {
    /** Delivers whatever is due; concurrent calls coalesce into one more pass. Never sends in a request: callers do not await it. */
    async flush (): Promise<void> {
      if (stopped) return
      if (running !== undefined) {
        again = true
        await running
        return
      }
      running = drain().finally(() => { running = undefined })
      await running
    },
    /** Stops taking rows and resolves once the delivery in flight (if any) ends. */
    async stop (): Promise<void> {
      stopped = true
      await running?.catch(() => {})
    },
    observe (observer: (kind: MailKind, outcome: MailOutcome) => void): void {
      observers.push(observer)
    }
  }
}

/** An SMTP error's code and reply status: enough to act on, and never the message it was sending. */
function describe (error: unknown): string {
  const { code, responseCode, command } = error as { code?: unknown, responseCode?: unknown, command?: unknown }
  const parts = [code, responseCode, command].filter(part => typeof part === 'string' || typeof part === 'number')
  return parts.length > 0 ? parts.join(' ') : (error instanceof Error ? error.name : 'unknown error')
}

export type MailRelay = ReturnType<typeof createMailRelay>

declare module 'fastify' {
  interface FastifyInstance { mail: MailRelay }
}

export default fp(async function mail (app, options: Omit<MailRelayOptions, 'log'>) {
  const relay = createMailRelay({ ...options, log: app.log })
  app.decorate('mail', relay)
  const sweep = (): void => { relay.flush().catch((error: unknown) => { app.log.warn({ err: error }, 'mail sweep failed') }) }
  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    sweep()
    timer = setInterval(sweep, Math.min(1000, options.retryDelayMs))
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await relay.stop()
    options.transport.close()
  })
}, { name: 'mail' })
