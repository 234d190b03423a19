/**
 * The revocation feed over Redis, shared by every replica of both services: sorted sets as the
 * durable store (scored by expiry so they prune themselves), pub/sub as the broadcast. It owns
 * its three connections: one for commands, one for full loads, one subscribed.
 */
import { Redis } from 'ioredis'
import { redisClientOptions, type RedisTimeouts } from '@latchkey/contracts'
import { parseRevocationEntry, parseRevocationMessage, type RevocationEntry } from './revocation-entry.js'
import type { RevocationFeed } from './revocation-feed.js'
import { accountMember, parseAccountMember, revocationKeys } from './redis-revocation-keys.js'
import { loadSortedSetFrom } from './redis-sorted-set-loader.js'
import { createRedisSubscription } from './redis-subscription.js'
import { quitWithTimeout } from './redis-quit.js'

const CLOSE_TIMEOUT_MS = 1_000
/** How long loadAll waits for the subscription, which must be live before the load starts. */
const SUBSCRIPTION_WAIT_MS = 2_000
/** Extra time a full load's chunked reads may take (start-up and resyncs, never a request). */
const LOAD_SLACK_MS = 10_000

export interface RedisRevocationFeedOptions extends RedisTimeouts {
  url: string
  prefix: string
}

export function createRedisRevocationFeed (options: RedisRevocationFeedOptions): RevocationFeed {
  const keys = revocationKeys(options.prefix)
  const commands = new Redis(options.url, { ...redisClientOptions(options), protocol: 2 })
  commands.on('error', () => { /* surfaced through the failing command instead */ })
  // Full loads on their own connection: publishes never queue behind their chunks.
  const loader = new Redis(options.url, { ...redisClientOptions(options, { slackMs: LOAD_SLACK_MS }), protocol: 2 })
  loader.on('error', () => { /* surfaced through the failing command instead */ })
  const subscription = createRedisSubscription(options.url, keys.channel, options)
  const listeners = new Set<{ onEntry: (entry: RevocationEntry) => void, onResync: () => void }>()

  subscription.onMessage(message => {
    const entry = parseRevocationMessage(message)
    if (entry === undefined) return
    for (const listener of listeners) listener.onEntry(entry)
  })
  subscription.onLive(() => {
    for (const listener of listeners) listener.onResync()
  })

  async function publish (entries: RevocationEntry[]): Promise<void> {
    if (entries.length === 0) return
    const valid = entries.map(entry => {
      const parsed = parseRevocationEntry(entry)
      if (parsed === undefined) throw new TypeError('not a well-formed revocation entry')
      return parsed
    })
    const multi = commands.multi()
    for (const entry of valid) {
      // GT: a later, shorter expiry never shortens what is already recorded.
      if (entry.kind === 'session') multi.zadd(keys.sessions, 'GT', entry.expiresAt, entry.sid)
      else multi.zadd(keys.accounts, 'GT', entry.expiresAt, accountMember(entry.sub, entry.minVersion))
    }
    const expired = `(${Date.now()}`
    multi.zremrangebyscore(keys.sessions, '-inf', expired)
    multi.zremrangebyscore(keys.accounts, '-inf', expired)
    for (const entry of valid) multi.publish(keys.channel, JSON.stringify(entry))
    const results = await multi.exec()
    if (results === null) throw new Error('the revocation transaction was aborted')
    for (const [error] of results) if (error !== null) throw error
  }

  async function loadAll (): Promise<RevocationEntry[]> {
    await subscription.whenLive(SUBSCRIPTION_WAIT_MS)
    const now = Date.now()
    const [sessionPages, accountPages] = await Promise.all([
      loadSortedSetFrom(loader, keys.sessions, now),
      loadSortedSetFrom(loader, keys.accounts, now)
    ])
    const entries: RevocationEntry[] = []
    for (const page of sessionPages) {
      for (let i = 0; i + 1 < page.length; i += 2) {
        entries.push({ kind: 'session', sid: page[i] as string, expiresAt: Number(page[i + 1]) })
      }
    }
    for (const page of accountPages) {
      for (let i = 0; i + 1 < page.length; i += 2) {
        const member = parseAccountMember(page[i] as string)
        if (member !== undefined) entries.push({ kind: 'account', sub: member.sub, minVersion: member.minVersion, expiresAt: Number(page[i + 1]) })
      }
    }
    return entries
  }

  return {
    publish,
    loadAll,
    subscribe (onEntry, onResync) {
      const listener = { onEntry, onResync }
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    async isSeeded () { return await commands.exists(keys.seeded) === 1 },
    async markSeeded () { await commands.set(keys.seeded, String(Date.now())) },
    isConnected () { return subscription.isLive() },
    async close () {
      listeners.clear()
      await Promise.all([subscription.close(CLOSE_TIMEOUT_MS), quitWithTimeout(commands, CLOSE_TIMEOUT_MS), quitWithTimeout(loader, CLOSE_TIMEOUT_MS)])
    }
  }
}
