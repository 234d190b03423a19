/**
 * The two ends of the account-event transport. The auth service's outbox relay holds a publisher;
 * the users service holds a consumer. Both Redis and in-process implementations honour the same
 * promise: publish resolves only once the event is durably handed over, and a consumer
 * acknowledges an event only after its handler resolved (at-least-once; handlers are idempotent).
 */
import type { AccountEvent } from '@latchkey/contracts'

export type AccountEventHandler = (event: AccountEvent) => Promise<void>

export interface AccountEventPublisher {
  /** Resolves once delivered (Redis: XADD done; in process: the consumer's handler committed). */
  publish (event: AccountEvent): Promise<void>
  /**
   * Retention, where the transport keeps events (Redis): removes those older than `olderThanMs`
   * that every consumer group acknowledged, and dead letters older than that.
   */
  trim?: (olderThanMs: number) => Promise<{ events: number, deadLetters: number }>
}

export interface AccountEventConsumer {
  /** Registers the handler and begins delivery; resolves without waiting for the transport to be reachable. */
  start (handle: AccountEventHandler): Promise<void>
  /** Stops delivery; bounded in time. An in-flight handler is given a short grace to finish. */
  close (): Promise<void>
  /** True while started and the transport answered its last request. */
  readonly running: boolean
  /** Milliseconds between the newest handled event's publication and its handling, when known. */
  readonly lagMs?: number | undefined
}

/** The pino subset the transport logs through (a Fastify logger fits). */
export interface EventLogger {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

export const consoleLogger: EventLogger = {
  info: () => {},
  warn: (obj, msg) => { console.warn(msg, obj) },
  error: (obj, msg) => { console.error(msg, obj) }
}
