/**
 * A connection of the transport, through @latchkey/redis-kit: the kit bounds every command
 * (REDIS_COMMAND_TIMEOUT) and speaks RESP2, which keeps stream replies in their classic
 * nested-array shape. Its first error per outage is logged (the callers retry with backoff).
 */
import { connectRedis, type RedisClient, type RedisSettings } from '@latchkey/redis-kit'
import type { EventLogger } from './transport.js'

export function connectTransport (settings: RedisSettings, name: string, log: EventLogger, options: { slackMs?: number } = {}): RedisClient {
  let reported = false
  const redis = connectRedis(settings, {
    name,
    ...options,
    onError: (err: Error) => {
      if (!reported) log.warn({ err: { message: err.message }, connection: name }, 'redis connection error')
      reported = true
    }
  })
  redis.on('ready', () => { reported = false })
  return redis
}
