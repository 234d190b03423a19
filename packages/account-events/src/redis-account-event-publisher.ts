/**
 * Publishes account events to the Redis stream `<prefix>account-events`. publish() resolves once
 * XADD has answered, so the outbox relay may mark the row as sent; it rejects while Redis is
 * unreachable, and the relay retries.
 */
import type { AccountEvent } from '@latchkey/contracts'
import { closeRedis, type RedisSettings } from '@latchkey/redis-kit'
import { connectTransport } from './redis-connection.js'
import { EVENT_FIELD, deadLetterKey, encodeEvent, streamKey } from './stream-entry.js'
import { trimConsumedStream, trimStreamOlderThan } from './redis-stream-trim.js'
import { consoleLogger, type AccountEventPublisher, type EventLogger } from './transport.js'

export interface RedisAccountEventPublisherOptions extends RedisSettings {
  prefix: string
  log?: EventLogger
}

interface RedisAccountEventPublisher extends AccountEventPublisher {
  trim: NonNullable<AccountEventPublisher['trim']>
  close (): Promise<void>
}

export function createRedisAccountEventPublisher (options: RedisAccountEventPublisherOptions): RedisAccountEventPublisher {
  const redis = connectTransport(options, 'account-events-publisher', options.log ?? consoleLogger)
  const key = streamKey(options.prefix, options)
  return {
    async publish (event: AccountEvent): Promise<void> {
      await redis.xadd(key, '*', EVENT_FIELD, encodeEvent(event))
    },
    async trim (olderThanMs: number) {
      return {
        events: await trimConsumedStream(redis, key, olderThanMs),
        deadLetters: await trimStreamOlderThan(redis, deadLetterKey(options.prefix, options), olderThanMs)
      }
    },
    async close (): Promise<void> {
      await closeRedis(redis)
    }
  }
}
