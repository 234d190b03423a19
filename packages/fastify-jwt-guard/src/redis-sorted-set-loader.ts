/**
 * Reads every member of a large sorted set with a score >= a bound, fast enough for a million
 * revocations at start-up. ZRANGE … BYSCORE LIMIT in chunks, with a score cursor (not ranks, so
 * concurrent prunes cannot make it skip members) in several score lanes at once, so Redis
 * produces one chunk while Node parses another.
 */
import type { RedisClient } from '@latchkey/redis-kit'

const CHUNK_SIZE = 10_000
const LANES = 4

/** Flat [member, score, member, score, …] pages, as Redis answers WITHSCORES in RESP2. */
async function zrangeByScore (redis: RedisClient, key: string, min: string, max: string, offset: number): Promise<string[]> {
  const reply: unknown = await redis.call('ZRANGE', key, min, max, 'BYSCORE', 'LIMIT', offset, CHUNK_SIZE, 'WITHSCORES')
  if (!Array.isArray(reply) || reply.some(item => typeof item !== 'string')) throw new Error(`unexpected ZRANGE reply for ${key}`)
  return reply as string[]
}

/** One lane: scores in [min, max) (max may be '+inf', then inclusive). */
async function loadLane (redis: RedisClient, key: string, laneMin: string, laneMax: string, onPage: (page: string[]) => void): Promise<void> {
  let min = laneMin
  let offset = 0
  for (;;) {
    const page = await zrangeByScore(redis, key, min, laneMax, offset)
    if (page.length > 0) onPage(page)
    if (page.length < CHUNK_SIZE * 2) return
    // Resume at the last score seen, skipping the members of that score already read (ties).
    const lastScore = page[page.length - 1] as string
    let sameScore = 0
    for (let i = page.length - 1; i > 0 && page[i] === lastScore; i -= 2) sameScore++
    if (lastScore === min) offset += sameScore
    else { min = lastScore; offset = sameScore }
  }
}

async function edgeScore (redis: RedisClient, key: string, fromScore: number, reverse: boolean): Promise<number | undefined> {
  const reply: unknown = reverse
    ? await redis.call('ZRANGE', key, '+inf', fromScore, 'BYSCORE', 'REV', 'LIMIT', 0, 1, 'WITHSCORES')
    : await redis.call('ZRANGE', key, fromScore, '+inf', 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
  if (!Array.isArray(reply) || typeof reply[1] !== 'string') return undefined
  return Number(reply[1])
}

/** Hands every member with score >= fromScore to onPage, in pages of flat [member, score, …], as they arrive. */
export async function loadSortedSetFrom (redis: RedisClient, key: string, fromScore: number, onPage: (page: string[]) => void): Promise<void> {
  const low = await edgeScore(redis, key, fromScore, false)
  if (low === undefined) return
  const high = await edgeScore(redis, key, fromScore, true) ?? low
  const bounds = [low]
  for (let lane = 1; lane < LANES; lane++) {
    const bound = Math.floor(low + (high - low) * lane / LANES)
    if (bound > (bounds[bounds.length - 1] as number)) bounds.push(bound)
  }
  await Promise.all(bounds.map((bound, index) => {
    const next = bounds[index + 1]
    return loadLane(redis, key, String(bound), next === undefined ? '+inf' : `(${next}`, onPage)
  }))
}
