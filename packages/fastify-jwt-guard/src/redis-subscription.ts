/**
 * The subscriber half of the Redis revocation feed: one connection subscribed to the channel,
 * which knows whether that subscription is live right now (ready, and a PING answered within
 * the last LIVENESS_MS) and tells its listeners to resync each time it becomes live again.
 */
import { closeRedis, connectRedis, type RedisSettings } from '@latchkey/redis-kit'

const PING_INTERVAL_MS = 500
const LIVENESS_MS = 2_000

export interface RedisSubscription {
  onMessage (handler: (message: string) => void): void
  /** Called each time the subscription is confirmed again after a reconnect: broadcasts may have been missed. */
  onLive (handler: () => void): void
  isLive (): boolean
  /** Resolves once the subscription is live; rejects after timeoutMs. */
  whenLive (timeoutMs: number): Promise<void>
  close (timeoutMs: number): Promise<void>
}

export function createRedisSubscription (settings: RedisSettings, channel: string): RedisSubscription {
  // No offline queue and no automatic resubscribe: every (re)connect goes through confirm(),
  // which is what makes "live" and the resync signal trustworthy. The command timeout ends a
  // PING that a black-holed Redis never answers, so pinging goes on and notices its return.
  const redis = connectRedis(settings, { subscriber: true, offlineQueue: false, retriesPerRequest: 0 })
  const messageHandlers: Array<(message: string) => void> = []
  const liveHandlers: Array<() => void> = []
  let waiters: Array<() => void> = []
  let subscribed = false
  let lastPongAt = 0
  let epoch = 0
  let pingInFlight = false
  let everLive = false

  // Errors need no handling here (the kit listens for them): state is tracked through 'close'/'ready'.
  redis.on('close', () => { subscribed = false; epoch++ })
  redis.on('message', (received: string, message: string) => {
    if (received !== channel) return
    for (const handler of messageHandlers) handler(message)
  })
  redis.on('ready', () => { void confirm() })

  async function confirm (): Promise<void> {
    const current = ++epoch
    try {
      await redis.subscribe(channel)
      // The PING is answered after the SUBSCRIBE took effect: from here on nothing published is missed.
      await redis.ping()
    } catch {
      return
    }
    if (current !== epoch) return
    subscribed = true
    lastPongAt = Date.now()
    const reconnected = everLive
    everLive = true
    const woken = waiters
    waiters = []
    for (const wake of woken) wake()
    // The first connection needs no resync: loadAll waits for it, so every load comes after it.
    if (reconnected) for (const handler of liveHandlers) handler()
  }

  const pinger = setInterval(() => {
    if (!subscribed || pingInFlight) return
    pingInFlight = true
    redis.ping().then(() => { lastPongAt = Date.now() }, () => {}).finally(() => { pingInFlight = false })
  }, PING_INTERVAL_MS)
  pinger.unref()

  function isLive (): boolean {
    return subscribed && redis.status === 'ready' && Date.now() - lastPongAt <= LIVENESS_MS
  }

  return {
    onMessage (handler) { messageHandlers.push(handler) },
    onLive (handler) { liveHandlers.push(handler) },
    isLive,
    whenLive (timeoutMs) {
      if (subscribed) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter(waiter => waiter !== wake)
          reject(new Error('the revocation feed is not connected'))
        }, timeoutMs)
        const wake = (): void => { clearTimeout(timer); resolve() }
        waiters.push(wake)
      })
    },
    async close (timeoutMs) {
      clearInterval(pinger)
      await closeRedis(redis, timeoutMs)
    }
  }
}
