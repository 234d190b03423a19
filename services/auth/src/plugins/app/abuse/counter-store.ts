/**
 * The counters abuse limits are built on: fixed-window counters, "blocked until" marks that
 * expire by themselves, and small expiring sets (the networks an account logged in from). In
 * Redis, so every replica shares them; in memory for the embedded default.
 *
 * A password check is counted by `reserve` before it runs and handed back by `release` when it
 * was no failure. Each is one atomic step (a Lua script in Redis, one synchronous block in
 * memory): checking a block and counting cannot be split by a concurrent request, so requests
 * sent at the same time cannot all pass a check made before any of them was counted.
 */
import { createHash } from 'node:crypto'
import { closeRedis, connectRedis, sameSlot, type RedisClient, type RedisSettings } from '@latchkey/redis-kit'

export interface WindowCount {
  count: number
  /** Milliseconds until the window ends. */
  resetInMs: number
}

/** One limit on password checks: a counter, and the block it sets from its threshold on. */
export interface FailureLimit {
  /** Failures, and checks still running, in the current window. */
  counter: string
  block: string
  threshold: number
  /** The block does not apply to a request whose `member` is in `set` (an account's known networks). */
  exempt?: { set: string, member: string }
}

export interface Reservation {
  limits: FailureLimit[]
  /** Marks the blocks this reservation sets, so its release lifts those and no later one. */
  token: string
  windowMs: number
  maxBlockMs: number
}

export interface Release {
  limits: FailureLimit[]
  token: string
  /** Keys deleted as well (a success clears its own pair's count). */
  clear?: string[]
  /** A member remembered in an expiring set (the network a log-in succeeded from). */
  remember?: { set: string, member: string, ttlMs: number }
}

export interface CounterStore {
  /** Adds one to `key` in a window of `windowMs` that starts with the first hit. */
  hit (key: string, windowMs: number): Promise<WindowCount>
  /** Milliseconds left on a block mark, 0 when there is none. */
  blockedFor (key: string): Promise<number>
  /**
   * When no limit's block applies, counts one attempt on every limit (setting the block of each
   * that reaches its threshold, see `blockMs`) and answers 0; otherwise counts nothing and
   * answers the milliseconds left on the longest block that applies.
   */
  reserve (reservation: Reservation): Promise<number>
  /** Undoes a reservation: each counter minus one, each block it set (still its own) lifted. */
  release (release: Release): Promise<void>
  close (): Promise<void>
}

/** Exponential, capped: the k-th attempt past the threshold blocks for 2^k seconds. */
function blockMs (count: number, threshold: number, maxBlockMs: number): number {
  return Math.min(maxBlockMs, 1000 * 2 ** Math.min(30, count - threshold))
}

const HIT = `local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { count, ttl }`

// KEYS: per limit its counter, its block and its exemption set (any key when it has none).
// ARGV: windowMs, maxBlockMs, token, then per limit its threshold and exempt member ('' for none).
const RESERVE = `local blocked = 0
local n = #KEYS / 3
for i = 0, n - 1 do
  local ttl = redis.call('PTTL', KEYS[i * 3 + 2])
  local member = ARGV[5 + i * 2]
  if ttl > blocked and (member == '' or redis.call('SISMEMBER', KEYS[i * 3 + 3], member) == 0) then blocked = ttl end
end
if blocked > 0 then return blocked end
for i = 0, n - 1 do
  local counter = KEYS[i * 3 + 1]
  local threshold = tonumber(ARGV[4 + i * 2])
  local count = redis.call('INCR', counter)
  if redis.call('PTTL', counter) < 0 then redis.call('PEXPIRE', counter, ARGV[1]) end
  if count >= threshold then
    local ms = math.min(tonumber(ARGV[2]), 1000 * 2 ^ math.min(30, count - threshold))
    redis.call('SET', KEYS[i * 3 + 2], ARGV[3], 'PX', math.floor(ms))
  end
end
return 0`

// KEYS: per limit its counter and block, then the keys to clear, then the set to remember in.
// ARGV: token, number of limits, number of keys to clear, member to remember ('' for none), its ttl.
const RELEASE = `local n = tonumber(ARGV[2])
local clear = tonumber(ARGV[3])
for i = 0, n - 1 do
  local counter = KEYS[i * 2 + 1]
  if tonumber(redis.call('GET', counter) or '0') > 0 then redis.call('DECR', counter) end
  if redis.call('GET', KEYS[i * 2 + 2]) == ARGV[1] then redis.call('DEL', KEYS[i * 2 + 2]) end
end
for i = 1, clear do redis.call('DEL', KEYS[n * 2 + i]) end
if ARGV[4] ~= '' then
  local set = KEYS[n * 2 + clear + 1]
  redis.call('SADD', set, ARGV[4])
  redis.call('PEXPIRE', set, ARGV[5])
end
return 0`

/**
 * A script called by its SHA1 (EVALSHA): every log in sends the digest, not the script, and Redis
 * does not hash the script again. A Redis that lacks it (restarted, failed over) answers NOSCRIPT;
 * EVAL then runs and caches it.
 */
function script (redis: RedisClient, lua: string): (keys: string[], args: Array<string | number>) => Promise<unknown> {
  const sha = createHash('sha1').update(lua).digest('hex')
  return async (keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return await redis.eval(lua, keys.length, ...keys, ...args)
    }
  }
}

export function createRedisCounterStore (options: RedisSettings & { prefix: string }): CounterStore {
  // No offline queue: while Redis is away a limit check fails at once, and while it does not
  // answer it fails after the command timeout (log in answers 503); nothing runs unlimited.
  const redis = connectRedis(options, { offlineQueue: false })
  // A name's `{subject}` (see counterKey) is its hash tag in Redis Cluster, where a script's keys
  // must share a slot; elsewhere the braces go, and the key names stay what they always were.
  const key = (name: string): string => `${options.prefix}abuse:${name.replace(/\{([^}]*)\}/, (_, subject: string) => sameSlot(options, subject))}`
  const hit = script(redis, HIT)
  const reserve = script(redis, RESERVE)
  const release = script(redis, RELEASE)
  return {
    async hit (name, windowMs) {
      const [count, ttl] = await hit([key(name)], [windowMs]) as [number, number]
      return { count, resetInMs: ttl }
    },
    async blockedFor (name) {
      return Math.max(0, await redis.pttl(key(name)))
    },
    async reserve ({ limits, token, windowMs, maxBlockMs }) {
      const keys = limits.flatMap(limit => [key(limit.counter), key(limit.block), key(limit.exempt?.set ?? limit.counter)])
      const args = limits.flatMap(limit => [limit.threshold, limit.exempt?.member ?? ''])
      return await reserve(keys, [windowMs, maxBlockMs, token, ...args]) as number
    },
    async release ({ limits, token, clear = [], remember }) {
      const keys = [...limits.flatMap(limit => [key(limit.counter), key(limit.block)]), ...clear.map(key), ...(remember === undefined ? [] : [key(remember.set)])]
      await release(keys, [token, limits.length, clear.length, remember?.member ?? '', remember?.ttlMs ?? 0])
    },
    async close () {
      await closeRedis(redis, 2000)
    }
  }
}

/** The same operations in this process; each runs without an await, so it is atomic here too. */
export function createMemoryCounterStore (now: () => number = Date.now): CounterStore {
  const counters = new Map<string, { count: number, expiresAt: number }>()
  const blocks = new Map<string, { token: string, expiresAt: number }>()
  const sets = new Map<string, { members: Set<string>, expiresAt: number }>()
  const live = <T extends { expiresAt: number }>(map: Map<string, T>, name: string): T | undefined => {
    const entry = map.get(name)
    if (entry !== undefined && entry.expiresAt <= now()) {
      map.delete(name)
      return undefined
    }
    return entry
  }
  let writes = 0
  // Expired entries of keys never seen again are dropped now and then, bounding memory.
  const sweep = (): void => {
    if (++writes % 1000 !== 0) return
    for (const map of [counters, blocks, sets] as Array<Map<string, { expiresAt: number }>>) {
      for (const [name, entry] of map) if (entry.expiresAt <= now()) map.delete(name)
    }
  }
  const blockedFor = (name: string): number => {
    const entry = live(blocks, name)
    return entry === undefined ? 0 : entry.expiresAt - now()
  }
  const count = (name: string, windowMs: number): { count: number, expiresAt: number } => {
    sweep()
    const entry = live(counters, name) ?? { count: 0, expiresAt: now() + windowMs }
    entry.count++
    counters.set(name, entry)
    return entry
  }
  return {
    async hit (name, windowMs) {
      const entry = count(name, windowMs)
      return { count: entry.count, resetInMs: entry.expiresAt - now() }
    },
    async blockedFor (name) {
      return blockedFor(name)
    },
    async reserve ({ limits, token, windowMs, maxBlockMs }) {
      let blocked = 0
      for (const limit of limits) {
        const left = blockedFor(limit.block)
        const exempt = limit.exempt !== undefined && (live(sets, limit.exempt.set)?.members.has(limit.exempt.member) ?? false)
        if (left > blocked && !exempt) blocked = left
      }
      if (blocked > 0) return blocked
      for (const limit of limits) {
        const entry = count(limit.counter, windowMs)
        if (entry.count >= limit.threshold) blocks.set(limit.block, { token, expiresAt: now() + blockMs(entry.count, limit.threshold, maxBlockMs) })
      }
      return 0
    },
    async release ({ limits, token, clear = [], remember }) {
      for (const limit of limits) {
        const entry = live(counters, limit.counter)
        if (entry !== undefined && entry.count > 0) entry.count--
        if (live(blocks, limit.block)?.token === token) blocks.delete(limit.block)
      }
      for (const name of clear) {
        counters.delete(name)
        blocks.delete(name)
      }
      if (remember !== undefined) {
        sweep()
        const entry = live(sets, remember.set) ?? { members: new Set<string>(), expiresAt: 0 }
        entry.members.add(remember.member)
        entry.expiresAt = now() + remember.ttlMs
        sets.set(remember.set, entry)
      }
    },
    async close () {
      counters.clear()
      blocks.clear()
      sets.clear()
    }
  }
}
