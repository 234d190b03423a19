/** Test helpers: a random Redis prefix per test (never a flush of shared Redis) and event builders. */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { AccountEvent } from '@latchkey/contracts'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export function randomPrefix (): string {
  return `latchkey_t_${randomUUID().slice(0, 8)}:`
}

/** A raw client for arranging and inspecting the stream; deletes the test's keys in teardown. */
export function rawRedis (t: { teardown (fn: () => Promise<void>): void }, prefix: string): Redis {
  const redis = new Redis(REDIS_URL, { protocol: 2 })
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })
  return redis
}

export function createdEvent (name = 'Ada'): AccountEvent {
  return { id: randomUUID(), occurredAt: new Date().toISOString(), type: 'account.created', data: { id: randomUUID(), name } }
}

export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
