/**
 * ioredis connections for the transport, and their bounded shutdown. The shared client options
 * bound every command (REDIS_COMMAND_TIMEOUT); RESP2 keeps stream replies in their classic
 * nested-array shape; the error listener keeps a Redis outage from surfacing as an unhandled
 * 'error' event (the callers retry with backoff instead).
 */
import { Redis } from 'ioredis'
import { redisClientOptions, type RedisTimeouts } from '@latchkey/contracts'
import type { EventLogger } from './transport.js'

export function connectRedis (url: string, name: string, log: EventLogger, timeouts: RedisTimeouts, options: { slackMs?: number } = {}): Redis {
  const redis = new Redis(url, {
    ...redisClientOptions(timeouts, options),
    protocol: 2,
    connectionName: name
  })
  let reported = false
  redis.on('error', (err: Error) => {
    if (!reported) log.warn({ err: { message: err.message }, connection: name }, 'redis connection error')
    reported = true
  })
  redis.on('ready', () => { reported = false })
  return redis
}

/** QUIT politely, but never wait longer than timeoutMs for it. */
export async function quitWithTimeout (redis: Redis, timeoutMs = 1000): Promise<void> {
  if (redis.status === 'end') return
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })
  try {
    await Promise.race([redis.quit().then(() => {}, () => {}), timeout])
  } finally {
    clearTimeout(timer)
    redis.disconnect()
  }
}
