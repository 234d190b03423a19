/**
 * The read side of the revocation feed over Redis, what every guard's view holds: full loads of
 * the store (sorted sets scored by expiry, the sequence counter, the epoch marker) on a connection
 * of their own, and the broadcasts on a subscribed one. The auth service writes the store through
 * @latchkey/revocation-publisher.
 */
import { closeRedis, connectRedis, sameSlot, type RedisSettings } from '@latchkey/redis-kit'
import {
  parseAccountMember, parseKeyMember, parseRevocationMessage, revocationKeys, type RevocationEntry, type RevocationFeed, type RevocationListener
} from '@latchkey/contracts'
import { loadSortedSetFrom } from './redis-sorted-set-loader.js'
import { createRedisSubscription } from './redis-subscription.js'

const CLOSE_TIMEOUT_MS = 1_000
/** How long loadAll waits for the subscription, which must be live before the load starts. */
const SUBSCRIPTION_WAIT_MS = 2_000
/** Extra time a full load's chunked commands may take (start-up and resyncs, never a request). */
const LOAD_SLACK_MS = 10_000

export interface RedisRevocationFeedOptions extends RedisSettings {
  prefix: string
}

/** A page of the sessions set: sids, and withdrawn signing keys under their `key:` prefix. */
function sessionEntries (page: string[]): RevocationEntry[] {
  const entries: RevocationEntry[] = []
  for (let i = 0; i + 1 < page.length; i += 2) {
    const member = page[i] as string
    const kid = parseKeyMember(member)
    entries.push(kid === undefined
      ? { kind: 'session', sid: member, expiresAt: Number(page[i + 1]) }
      : { kind: 'key', kid, expiresAt: Number(page[i + 1]) })
  }
  return entries
}

function accountEntries (page: string[]): RevocationEntry[] {
  const entries: RevocationEntry[] = []
  for (let i = 0; i + 1 < page.length; i += 2) {
    const member = parseAccountMember(page[i] as string)
    if (member !== undefined) entries.push({ kind: 'account', sub: member.sub, minVersion: member.minVersion, expiresAt: Number(page[i + 1]) })
  }
  return entries
}

export function createRedisRevocationFeed (options: RedisRevocationFeedOptions): RevocationFeed {
  const keys = revocationKeys(options.prefix, part => sameSlot(options, part))
  // Connection errors surface through the failing command instead.
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

  async function loadAll (onPage: (entries: RevocationEntry[]) => void): ReturnType<RevocationFeed['loadAll']> {
    await subscription.whenLive(SUBSCRIPTION_WAIT_MS)
    // Epoch and seq first: every entry broadcast up to this seq is in the sets read below.
    const [epoch, seq] = await loader.mget(keys.seeded, keys.seq)
    const now = Date.now()
    await Promise.all([
      loadSortedSetFrom(loader, keys.sessions, now, page => { onPage(sessionEntries(page)) }),
      loadSortedSetFrom(loader, keys.accounts, now, page => { onPage(accountEntries(page)) })
    ])
    return { epoch: epoch ?? undefined, seq: Number(seq ?? 0) }
  }

  return {
    loadAll,
    subscribe (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    isConnected () { return subscription.isLive() },
    async close () {
      listeners.clear()
      await Promise.all([subscription.close(CLOSE_TIMEOUT_MS), closeRedis(loader, CLOSE_TIMEOUT_MS)])
    }
  }
}
