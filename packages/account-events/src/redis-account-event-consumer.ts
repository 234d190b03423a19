/**
 * Consumes `<prefix>account-events` through a Redis consumer group: at-least-once delivery with
 * the acknowledgement after the handler resolved, reclaiming of entries left pending by a crashed
 * consumer (XAUTOCLAIM), a dead-letter stream for entries that can never be applied, and endless
 * retry with backoff while Redis is away. It never throws out of its loop.
 */
import { closeRedis, type RedisClient, type RedisSettings } from '@latchkey/redis-kit'
import { connectTransport } from './redis-connection.js'
import { decodeEntry, deadLetterKey, streamKey } from './stream-entry.js'
import { autoClaimReply, entryTimestamp, readGroupEntries, type StreamEntry } from './stream-replies.js'
import { consoleLogger, type AccountEventConsumer, type AccountEventHandler, type EventLogger } from './transport.js'

export interface RedisAccountEventConsumerOptions extends RedisSettings {
  prefix: string
  /** Consumer group, e.g. 'users': every group gets every event once. */
  group: string
  /** Unique per process, so a crashed process's pending entries can be told apart and claimed. */
  consumer: string
  /** Entries pending longer than this are claimed from whichever consumer holds them (default 30 s). */
  claimIdleMs?: number
  /** Entries fetched per read (default 100). */
  batchSize?: number
  log?: EventLogger
}

const CLOSE_GRACE_MS = 5000
const MAX_BACKOFF_MS = 5000
const START_WAIT_MS = 2000

export function createRedisAccountEventConsumer (options: RedisAccountEventConsumerOptions): AccountEventConsumer {
  const { group, consumer: consumerName } = options
  const log = options.log ?? consoleLogger
  const key = streamKey(options.prefix, options)
  const deadKey = deadLetterKey(options.prefix, options)
  const claimIdleMs = options.claimIdleMs ?? 30_000
  const batchSize = options.batchSize ?? 100
  const claimEveryMs = Math.max(50, Math.min(Math.round(claimIdleMs / 2), 5000))
  // The blocking read wakes up at least as often as claims are due.
  const blockMs = Math.max(10, Math.min(1000, claimEveryMs))

  let commands: RedisClient | undefined
  let reader: RedisClient | undefined
  let handler: AccountEventHandler | undefined
  let loop: Promise<void> | undefined
  let closing = false
  // Read through a call in the loops below: close() sets the flag while they await Redis.
  const isClosing = (): boolean => closing
  let healthy = false
  let groupReady = false
  let lastClaimAt = 0
  let lagMs: number | undefined
  let wake: (() => void) | undefined

  async function pause (ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, ms)
      wake = () => { clearTimeout(timer); resolve() }
    })
    wake = undefined
  }

  async function ensureGroup (redis: RedisClient): Promise<void> {
    try {
      // From '0', not '$': events published before this group ever existed are still delivered.
      await redis.xgroup('CREATE', key, group, '0', 'MKSTREAM')
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err
    }
    groupReady = true
  }

  async function deadLetter (redis: RedisClient, id: string, reason: string, raw: string): Promise<void> {
    log.error({ stream: key, id, reason }, 'malformed account event moved to the dead-letter stream')
    const results = await redis.multi()
      .xadd(deadKey, '*', 'originalId', id, 'reason', reason, 'entry', raw, 'consumer', consumerName)
      .xack(key, group, id)
      .exec()
    const failed = results?.find(([err]) => err !== null)
    if (results === null || failed !== undefined) throw failed?.[0] ?? new Error('dead-letter transaction aborted')
  }

  async function handleEntry (redis: RedisClient, handle: AccountEventHandler, entry: StreamEntry): Promise<void> {
    const decoded = decodeEntry(entry.fields)
    if (!decoded.ok) {
      await deadLetter(redis, entry.id, decoded.reason, decoded.raw)
      return
    }
    try {
      await handle(decoded.event)
    } catch (err) {
      // Left pending: XAUTOCLAIM hands it out again once it has been idle for claimIdleMs.
      log.warn({ id: entry.id, eventId: decoded.event.id, err }, 'account event handler failed; entry left pending')
      return
    }
    await redis.xack(key, group, entry.id)
    const publishedAt = entryTimestamp(entry.id)
    if (publishedAt !== undefined) lagMs = Math.max(0, Date.now() - publishedAt)
  }

  async function claimStale (redis: RedisClient, handle: AccountEventHandler): Promise<void> {
    let cursor = '0-0'
    for (let round = 0; round < 10 && !isClosing(); round++) {
      const reply = autoClaimReply(await redis.call('XAUTOCLAIM', [key, group, consumerName, claimIdleMs, cursor, 'COUNT', batchSize]))
      for (const entry of reply.entries) {
        if (isClosing()) return
        if (entry.fields === null) await redis.xack(key, group, entry.id)
        else await handleEntry(redis, handle, entry)
      }
      if (reply.next === '0-0') return
      cursor = reply.next
    }
  }

  async function poll (redis: RedisClient, blocking: RedisClient, handle: AccountEventHandler): Promise<void> {
    if (!groupReady) await ensureGroup(redis)
    if (Date.now() - lastClaimAt >= claimEveryMs) {
      await claimStale(redis, handle)
      lastClaimAt = Date.now()
    }
    const reply = await blocking.call('XREADGROUP', ['GROUP', group, consumerName, 'COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', key, '>'])
    healthy = true
    for (const entry of readGroupEntries(reply)) {
      if (isClosing()) return
      await handleEntry(redis, handle, entry)
    }
  }

  async function run (redis: RedisClient, blocking: RedisClient, handle: AccountEventHandler): Promise<void> {
    let backoffMs = 100
    while (!isClosing()) {
      try {
        await poll(redis, blocking, handle)
        backoffMs = 100
      } catch (err) {
        if (isClosing()) return
        healthy = false
        if (err instanceof Error && err.message.startsWith('NOGROUP')) groupReady = false
        log.warn({ err: { message: err instanceof Error ? err.message : String(err) }, retryInMs: backoffMs }, 'account event consumer: redis unavailable, retrying')
        await pause(backoffMs)
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)
      }
    }
  }

  return {
    async start (handle: AccountEventHandler): Promise<void> {
      if (handler !== undefined || closing) throw new Error('account event consumer already started or closed')
      handler = handle
      const redis = connectTransport(options, `${consumerName}:commands`, log)
      // A dedicated connection for the blocking read, so acks and claims never queue behind it.
      const blocking = connectTransport(options, `${consumerName}:reader`, log, { slackMs: blockMs })
      commands = redis
      reader = blocking
      const first = ensureGroup(redis).then(() => { healthy = true }, () => {})
      await Promise.race([first, new Promise(resolve => setTimeout(resolve, START_WAIT_MS).unref())])
      loop = run(redis, blocking, handle)
    },

    async close (): Promise<void> {
      if (closing) return
      closing = true
      healthy = false
      wake?.()
      // Disconnecting the reader ends a pending BLOCK at once; an in-flight handler gets a grace period.
      reader?.disconnect()
      if (loop !== undefined) await Promise.race([loop, new Promise(resolve => setTimeout(resolve, CLOSE_GRACE_MS).unref())])
      if (commands !== undefined) await closeRedis(commands)
    },

    get running () { return handler !== undefined && !closing && healthy },
    get lagMs () { return lagMs }
  }
}
