/**
 * The counters abuse limits are built on: fixed-window counters and "blocked until" marks that
 * expire by themselves, plus small expiring sets (the networks an account logged in from). In
 * Redis, so every replica shares them; in memory for the embedded default.
 */
import { Redis } from 'ioredis'
import { redisClientOptions, type RedisTimeouts } from '@latchkey/contracts'

export interface WindowCount {
  count: number
  /** Milliseconds until the window ends. */
  resetInMs: number
}

export interface CounterStore {
  /** Adds one to `key` in a window of `windowMs` that starts with the first hit. */
  hit (key: string, windowMs: number): Promise<WindowCount>
  /** Milliseconds left on a block mark, 0 when there is none. */
  blockedFor (key: string): Promise<number>
  block (key: string, forMs: number): Promise<void>
  addMember (key: string, member: string, ttlMs: number): Promise<void>
  hasMember (key: string, member: string): Promise<boolean>
  delete (...keys: string[]): Promise<void>
  close (): Promise<void>
}

const HIT = `local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { count, ttl }`

export function createRedisCounterStore (options: { url: string, prefix: string } & RedisTimeouts): CounterStore {
  // No offline queue: while Redis is away a limit check fails at once, and while it does not
  // answer it fails after the command timeout (log in answers 503); nothing runs unlimited.
  const redis = new Redis(options.url, { ...redisClientOptions(options), enableOfflineQueue: false })
  redis.on('error', () => {})
  const key = (name: string): string => `${options.prefix}abuse:${name}`
  return {
    async hit (name, windowMs) {
      const [count, ttl] = await redis.eval(HIT, 1, key(name), windowMs) as [number, number]
      return { count, resetInMs: ttl }
    },
    async blockedFor (name) {
      return Math.max(0, await redis.pttl(key(name)))
    },
    async block (name, forMs) {
      await redis.set(key(name), '1', 'PX', Math.max(1, Math.round(forMs)))
    },
    async addMember (name, member, ttlMs) {
      await redis.multi().sadd(key(name), member).pexpire(key(name), ttlMs).exec()
    },
    async hasMember (name, member) {
      return await redis.sismember(key(name), member) === 1
    },
    async delete (...names) {
      if (names.length > 0) await redis.del(...names.map(key))
    },
    async close () {
      await Promise.race([redis.quit().catch(() => {}), new Promise(resolve => setTimeout(resolve, 2000).unref())])
      redis.disconnect()
    }
  }
}

export function createMemoryCounterStore (now: () => number = Date.now): CounterStore {
  const counters = new Map<string, { count: number, expiresAt: number }>()
  const sets = new Map<string, { members: Set<string>, expiresAt: number }>()
  const live = <T extends { expiresAt: number }>(map: Map<string, T>, name: string): T | undefined => {
    const entry = map.get(name)
    if (entry !== undefined && entry.expiresAt <= now()) {
      map.delete(name)
      return undefined
    }
    return entry
  }
  let hits = 0
  const sweep = (): void => {
    for (const [name, entry] of counters) if (entry.expiresAt <= now()) counters.delete(name)
    for (const [name, entry] of sets) if (entry.expiresAt <= now()) sets.delete(name)
  }
  return {
    async hit (name, windowMs) {
      // Expired entries of keys never seen again are dropped now and then, bounding memory.
      if (++hits % 1000 === 0) sweep()
      const entry = live(counters, name) ?? { count: 0, expiresAt: now() + windowMs }
      entry.count++
      counters.set(name, entry)
      return { count: entry.count, resetInMs: entry.expiresAt - now() }
    },
    async blockedFor (name) {
      const entry = live(counters, name)
      return entry === undefined ? 0 : entry.expiresAt - now()
    },
    async block (name, forMs) {
      counters.set(name, { count: 1, expiresAt: now() + forMs })
    },
    async addMember (name, member, ttlMs) {
      const entry = live(sets, name) ?? { members: new Set<string>(), expiresAt: 0 }
      entry.members.add(member)
      entry.expiresAt = now() + ttlMs
      sets.set(name, entry)
    },
    async hasMember (name, member) {
      return live(sets, name)?.members.has(member) ?? false
    },
    async delete (...names) {
      for (const name of names) {
        counters.delete(name)
        sets.delete(name)
      }
    },
    async close () {
      counters.clear()
      sets.clear()
    }
  }
}
