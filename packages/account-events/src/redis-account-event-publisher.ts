/**
 * Publishes account events to the Redis stream `<prefix>account-events`. publish() resolves once
 * XADD has answered, so the outbox relay may mark the row as sent; it rejects while Redis is
 * unreachable, and the relay retries.
 */
import type { AccountEvent } from '@latchkey/contracts'
import { closeRedis, type RedisSettings } from '@latchkey/redis-kit'
import { connectTransport } from './redis-connection.js'
import { EVENT_FIELD, encodeEvent, streamKey } from './stream-entry.js'
import { consoleLogger, type AccountEventPublisher, type EventLogger } from './transport.js'

export interface RedisAccountEventPublisherOptions extends RedisSettings {
  prefix: string
  log?: EventLogger
}

export function createRedisAccountEventPublisher (options: RedisAccountEventPublisherOptions): AccountEventPublisher & { close (): Promise<void> } {
  const redis = connectTransport(options, 'account-events-publisher', options.log ?? consoleLogger)
  const key = streamKey(options.prefix)
  return {
    async publish (event: AccountEvent): Promise<void> {
      await redis.xadd(key, '*', EVENT_FIELD, encodeEvent(event))
    },
    async close (): Promise<void> {
      await closeRedis(redis)
    }
  }
}
