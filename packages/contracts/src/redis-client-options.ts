/**
 * The options every Redis connection of both services starts from, so that no call waits forever
 * on a Redis that accepts connections but never answers (a black-holed network path, a stopped
 * process): each command fails after REDIS_COMMAND_TIMEOUT milliseconds and its caller degrades
 * (503, or retry later). Plain data in the shape of ioredis's RedisOptions; this package does no
 * I/O and does not import ioredis.
 */
import { Type } from '@sinclair/typebox'

export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000

/** REDIS_COMMAND_TIMEOUT in both services' environment schemas. */
export const RedisCommandTimeoutSchema = Type.Integer({
  minimum: 50,
  maximum: 60_000,
  default: DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  description: 'Longest wait for any one Redis command, milliseconds; then the request answers 503 (or the background job retries)'
})

export interface RedisTimeouts {
  /** Longest wait for one command, offline queueing and a retry after a reconnect included. */
  commandTimeoutMs?: number | undefined
}

export interface RedisClientOptions {
  connectTimeout: number
  commandTimeout: number
  maxRetriesPerRequest: number
  enableOfflineQueue: boolean
  retryStrategy: (attempt: number) => number
}

/**
 * A command sent during a reconnect waits in the offline queue, inside the same bound, so a blip
 * is not an error. `slackMs` is for a connection off the request path whose commands may
 * legitimately take longer: one that runs XREADGROUP … BLOCK n (slack n), or bulk loads of
 * hundreds of thousands of members that a busy event loop reads late.
 */
export function redisClientOptions (timeouts: RedisTimeouts = {}, options: { slackMs?: number } = {}): RedisClientOptions {
  const timeoutMs = timeouts.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS
  return {
    connectTimeout: Math.max(timeoutMs, 1000),
    commandTimeout: timeoutMs + (options.slackMs ?? 0),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: attempt => Math.min(100 * attempt, 500)
  }
}
