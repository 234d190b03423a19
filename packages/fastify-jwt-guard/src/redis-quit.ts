/**
 * Closes an ioredis connection without letting shutdown hang: QUIT when the server answers in
 * time, otherwise a hard disconnect (which also stops any reconnect loop).
 */
import type { Redis } from 'ioredis'

export async function quitWithTimeout (redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'end') return
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })
  try {
    if (redis.status === 'ready') await Promise.race([redis.quit(), deadline])
  } catch {
    // The connection is going away either way.
  } finally {
    clearTimeout(timer)
    redis.disconnect()
  }
}
