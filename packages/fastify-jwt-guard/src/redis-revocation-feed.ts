/**
 * The revocation feed over Redis, shared by every replica of both services: sorted sets as the
 * store (scored by expiry so they prune themselves), a sequence counter and an epoch marker,
 * pub/sub as the broadcast. It owns its three connections: one for commands, one for full loads
 * and seeds, one subscribed.
 */
import { randomUUID } from 'node:crypto'
import { closeRedis, connectRedis, type RedisSettings } from '@latchkey/redis-kit'
import { parseRevocationEntry, type RevocationEntry } from './revocation-entry.js'
import type { RevocationFeed, RevocationListener } from './revocation-feed.js'
import { parseRevocationMessage } from './revocation-message.js'
import { accountMember, keyMember, parseAccountMember, parseKeyMember, revocationKeys } from './redis-revocation-keys.js'
import { HEARTBEAT_SCRIPT, PUBLISH_SCRIPT } from './redis-revocation-scripts.js'
import { loadSortedSetFrom } from './redis-sorted-set-loader.js'
import { createRedisSubscription } from './redis-subscription.js'

const CLOSE_TIMEOUT_MS = 1_000
/** How long loadAll waits for the subscription, which must be live before the load starts. */
const SUBSCRIPTION_WAIT_MS = 2_000
/** Extra time a full load's or a seed's chunked commands may take (start-up and resyncs, never a request). */
const LOAD_SLACK_MS = 10_000
/** Members per ZADD while seeding: a million entries go in a thousand commands. */
const SEED_CHUNK = 1_000

function validated (entries: RevocationEntry[]): RevocationEntry[] {
  return entries.map(entry => {
    const parsed = parseRevocationEntry(entry)
    if (parsed === undefined) throw new TypeError('not a well-formed revocation entry')
    return parsed
  })
}

function memberOf (entry: RevocationEntry): string {
  if (entry.kind === 'session') return entry.sid
  return entry.kind === 'key' ? keyMember(entry.kid) : accountMember(entry.sub, entry.minVersion)
}

export interface RedisRevocationFeedOptions extends RedisSettings {
  prefix: string
}

export function createRedisRevocationFeed (options: RedisRevocationFeedOptions): RevocationFeed {
  const keys = revocationKeys(options.prefix)
  // Connection errors surface through the failing command instead.
  const commands = connectRedis(options)
  // Full loads and seeds on their own connection: publishes and heartbeats never queue behind their chunks.
  const loader = connectRedis(options, { slackMs: LOAD_SLACK_MS })
  const subscription = createRedisSubscription(options, keys.channel)
  const listeners = new Set<RevocationListener>()

  subscription.onMessage(raw => {
    const message = parseRevocationMessage(raw)
    if (message === undefined) return
    for (const listener of listeners) {
      if (message.type === 'entry') listener.onEntry(message.entry, message.seq)
      else listener.onHeartbeat({ epoch: message.epoch, seq: message.seq })
    }
  })
  subscription.onLive(() => {
    for (const listener of listeners) listener.onResync()
  })

  async function publish (entries: RevocationEntry[]): Promise<void> {
    if (entries.length === 0) return
    const args: Array<string | number> = [keys.channel, Date.now()]
    for (const entry of validated(entries)) {
      args.push(entry.kind === 'account' ? 'a' : 's', memberOf(entry), entry.expiresAt, JSON.stringify(entry))
    }
    await commands.eval(PUBLISH_SCRIPT, 3, keys.sessions, keys.accounts, keys.seq, ...args)
  }

  async function seed (entries: RevocationEntry[]): Promise<string> {
    const valid = validated(entries)
    for (let start = 0; start < valid.length; start += SEED_CHUNK * 50) {
      const pipeline = loader.pipeline()
      for (let chunk = start; chunk < Math.min(valid.length, start + SEED_CHUNK * 50); chunk += SEED_CHUNK) {
        const sessionArgs: Array<string | number> = []
        const accountArgs: Array<string | number> = []
        for (const entry of valid.slice(chunk, chunk + SEED_CHUNK)) {
          (entry.kind === 'account' ? accountArgs : sessionArgs).push(entry.expiresAt, memberOf(entry))
        }
        if (sessionArgs.length > 0) pipeline.zadd(keys.sessions, 'GT', ...sessionArgs)
        if (accountArgs.length > 0) pipeline.zadd(keys.accounts, 'GT', ...accountArgs)
      }
      const results = await pipeline.exec()
      for (const [error] of results ?? []) if (error !== null) throw error
    }
    // The marker goes last: a store is only seeded once everything above is in it.
    const epoch = randomUUID()
    await loader.set(keys.seeded, epoch)
    return epoch
  }

  async function loadAll (): ReturnType<RevocationFeed['loadAll']> {
    await subscription.whenLive(SUBSCRIPTION_WAIT_MS)
    // Epoch and seq first: every entry broadcast up to this seq is in the sets read below.
    const [epoch, seq] = await loader.mget(keys.seeded, keys.seq)
    const now = Date.now()
    const [sessionPages, accountPages] = await Promise.all([
      loadSortedSetFrom(loader, keys.sessions, now),
      loadSortedSetFrom(loader, keys.accounts, now)
    ])
    const entries: RevocationEntry[] = []
    for (const page of sessionPages) {
      for (let i = 0; i + 1 < page.length; i += 2) {
        const member = page[i] as string
        const kid = parseKeyMember(member)
        entries.push(kid === undefined
          ? { kind: 'session', sid: member, expiresAt: Number(page[i + 1]) }
          : { kind: 'key', kid, expiresAt: Number(page[i + 1]) })
      }
    }
    for (const page of accountPages) {
      for (let i = 0; i + 1 < page.length; i += 2) {
        const member = parseAccountMember(page[i] as string)
        if (member !== undefined) entries.push({ kind: 'account', sub: member.sub, minVersion: member.minVersion, expiresAt: Number(page[i + 1]) })
      }
    }
    return { entries, epoch: epoch ?? undefined, seq: Number(seq ?? 0) }
  }

  return {
    publish,
    seed,
    async currentEpoch () { return await commands.get(keys.seeded) ?? undefined },
    async heartbeat (epoch) {
      return await commands.eval(HEARTBEAT_SCRIPT, 2, keys.seeded, keys.seq, keys.channel, epoch) === 1
    },
    loadAll,
    subscribe (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    isConnected () { return subscription.isLive() },
    async close () {
      listeners.clear()
      await Promise.all([subscription.close(CLOSE_TIMEOUT_MS), closeRedis(commands, CLOSE_TIMEOUT_MS), closeRedis(loader, CLOSE_TIMEOUT_MS)])
    }
  }
}
