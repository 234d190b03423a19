/**
 * The embedded default: both services share one process, so "delivery" is a direct call of the
 * consumer's handler. publish() rejects while no handler is registered or when the handler throws,
 * which leaves the event in the auth service's outbox for its relay to retry later.
 */
import type { AccountEvent } from '@latchkey/contracts'
import type { AccountEventConsumer, AccountEventHandler, AccountEventPublisher } from './transport.js'

export type InProcessAccountEvents = AccountEventPublisher & AccountEventConsumer

export function createInProcessAccountEvents (): InProcessAccountEvents {
  let handler: AccountEventHandler | undefined
  let lagMs: number | undefined
  const inFlight = new Set<Promise<void>>()

  return {
    async publish (event: AccountEvent): Promise<void> {
      if (handler === undefined) throw new Error('no account-event consumer is running')
      const started = Date.now()
      const delivery = handler(event)
      inFlight.add(delivery)
      try {
        await delivery
        lagMs = Date.now() - started
      } finally {
        inFlight.delete(delivery)
      }
    },
    async start (handle: AccountEventHandler): Promise<void> {
      handler = handle
    },
    async close (): Promise<void> {
      handler = undefined
      // Bounded: let deliveries already inside the handler commit, but never wait past 5 s.
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise(resolve => setTimeout(resolve, 5000).unref())
      ])
    },
    get running () { return handler !== undefined },
    get lagMs () { return lagMs }
  }
}
