/**
 * Retention of the account-event streams: entries older than the window go, but never one a
 * consumer group has not yet been handed or has not acknowledged. XTRIM MINID keeps every entry at
 * or above the bound; the bound is the lowest of the retention cut-off, each group's oldest pending
 * entry (XPENDING) and the successor of what each group was last handed (XINFO GROUPS). A stream
 * without any group is not trimmed at all: nobody has consumed it yet. Safe with several replicas
 * trimming at once (each bound only removes what every group is done with) and idempotent.
 */
import type { RedisClient } from '@latchkey/redis-kit'

type StreamId = readonly [bigint, bigint]

function parseId (id: string): StreamId | undefined {
  const match = /^(\d+)-(\d+)$/.exec(id)
  return match === null ? undefined : [BigInt(match[1] ?? '0'), BigInt(match[2] ?? '0')]
}

const lower = (a: StreamId, b: StreamId): StreamId => (a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]) ? a : b)
const format = (id: StreamId): string => `${id[0]}-${id[1]}`

/** XINFO GROUPS → [{ name, pending, lastDelivered }] from its RESP2 flat field lists. */
function groupsOf (reply: unknown): Array<{ name: string, pending: number, lastDelivered: string }> {
  if (!Array.isArray(reply)) return []
  return reply.flatMap(item => {
    if (!Array.isArray(item)) return []
    const fields = new Map<string, string | number>()
    for (let i = 0; i + 1 < item.length; i += 2) {
      const value: unknown = item[i + 1]
      if (typeof value === 'string' || typeof value === 'number') fields.set(String(item[i]), value)
    }
    return [{ name: String(fields.get('name')), pending: Number(fields.get('pending') ?? 0), lastDelivered: String(fields.get('last-delivered-id') ?? '0-0') }]
  })
}

/** Removes the entries of `key` older than `olderThanMs` that every consumer group is done with; answers how many. */
export async function trimConsumedStream (redis: RedisClient, key: string, olderThanMs: number): Promise<number> {
  let groups
  try {
    groups = groupsOf(await redis.call('XINFO', 'GROUPS', key))
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return 0
    throw error
  }
  if (groups.length === 0) return 0
  let bound: StreamId = [BigInt(Math.max(0, Date.now() - olderThanMs)), 0n]
  for (const group of groups) {
    const delivered = parseId(group.lastDelivered) ?? [0n, 0n]
    bound = lower(bound, [delivered[0], delivered[1] + 1n])
    if (group.pending > 0) {
      const summary = await redis.call('XPENDING', key, group.name)
      const oldest = Array.isArray(summary) && typeof summary[1] === 'string' ? parseId(summary[1]) : undefined
      // Pending but unreadable: trim nothing rather than guess.
      bound = lower(bound, oldest ?? [0n, 0n])
    }
  }
  return Number(await redis.call('XTRIM', key, 'MINID', format(bound)))
}

/** Removes the entries of `key` older than `olderThanMs` (a stream nobody consumes: the dead letters). */
export async function trimStreamOlderThan (redis: RedisClient, key: string, olderThanMs: number): Promise<number> {
  return Number(await redis.call('XTRIM', key, 'MINID', `${Math.max(0, Date.now() - olderThanMs)}-0`))
}
