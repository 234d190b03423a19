/**
 * REDIS_COMMAND_TIMEOUT, in both services' environment schemas: every command on every Redis
 * connection fails after this many milliseconds, so that no call waits forever on a Redis that
 * accepts connections but never answers (a black-holed network path, a stopped process), and its
 * caller degrades (503, or retry later). @latchkey/redis-kit applies it.
 */
import { Type } from '@sinclair/typebox'

export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000

export const RedisCommandTimeoutSchema = Type.Integer({
  minimum: 50,
  maximum: 60_000,
  default: DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  description: 'Longest wait for any one Redis command, milliseconds; then the request answers 503 (or the background job retries)'
})
