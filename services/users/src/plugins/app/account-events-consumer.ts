/**
 * Feeds account events into the profiles: starts the injected consumer once the app is ready and
 * stops it on close (the transport itself belongs to whoever injected it). Decorated as
 * `app.accountEvents` so readiness can report whether consumption is running.
 */
import fp from 'fastify-plugin'
import type { AccountEventConsumer } from '@latchkey/account-events'
import { applyAccountEvent } from './profiles/apply-account-event.js'

declare module 'fastify' {
  interface FastifyInstance {
    accountEvents: AccountEventConsumer
  }
}

export interface AccountEventsConsumerOptions {
  consumer: AccountEventConsumer
}

export default fp<AccountEventsConsumerOptions>(async function accountEventsConsumer (app, { consumer }) {
  app.decorate('accountEvents', consumer)
  const log = app.log.child({ component: 'account-events' })
  app.addHook('onReady', async () => {
    await consumer.start(async event => {
      const outcome = await applyAccountEvent(app.sql, event)
      log.debug({ eventId: event.id, type: event.type, outcome }, 'account event handled')
    })
  })
  app.addHook('onClose', async () => { await consumer.close() })
}, { name: 'account-events-consumer', dependencies: ['postgres'] })
