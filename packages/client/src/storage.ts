/**
 * Where the client keeps its tokens, and the lock that makes a refresh happen once per session
 * rather than once per caller. Every client sharing one storage (several tabs sharing
 * `localStorage`) must share its lock too: a refresh runs under it and re-reads the storage first,
 * because another holder may have refreshed already.
 */
import type { Shape } from './contract-schemas.js'

/** A token pair as the auth service issued it, with the local time (ms) at which its access token expires. */
export type StoredTokens = Shape<'TokenPair'> & { expiresAt: number }

export interface TokenStorage {
  get (): StoredTokens | null | Promise<StoredTokens | null>
  set (tokens: StoredTokens | null): void | Promise<void>
  /** Runs `task` while no other user of this storage runs one under the same lock. */
  lock<T> (task: () => Promise<T>): Promise<T>
}

/** A lock for one JavaScript realm: tasks run one after the other. */
export function realmLock (): TokenStorage['lock'] {
  let tail: Promise<unknown> = Promise.resolve()
  return task => {
    const run = tail.then(task)
    tail = run.catch(() => {})
    return run
  }
}

/** The default: tokens live as long as this client's process or page. */
export function memoryStorage (): TokenStorage {
  let tokens: StoredTokens | null = null
  return { get: () => tokens, set: value => { tokens = value }, lock: realmLock() }
}

/**
 * Tokens in `localStorage` under `key`, shared by every tab of the origin; the lock is a Web Lock
 * of the same name where the Web Locks API exists (every current browser), else one per tab.
 * Anything script on the page can read localStorage: see the README's note on XSS.
 */
export function localStorageStorage (key = 'latchkey.tokens', store: Storage = localStorage): TokenStorage {
  // The DOM types promise both; Node.js 20 has no navigator, and older browsers no Web Locks.
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
  let writes = 0
  return {
    get () {
      try {
        return JSON.parse(store.getItem(key) ?? 'null') as StoredTokens | null
      } catch {
        return null
      }
    },
    set (tokens) {
      writes++
      if (tokens === null) store.removeItem(key)
      else store.setItem(key, JSON.stringify(tokens))
    },
    lock: locks === undefined
      ? realmLock()
      : task => new Promise((resolve, reject) => {
        void locks.request(key, async () => {
          const before = writes
          await task().then(resolve, reject)
          // Each tab reads localStorage from its own copy, which a write of another tab reaches a
          // moment later, in no fixed order with the lock's release: a holder that wrote keeps the
          // lock a little longer so the next holder reads the new tokens instead of refreshing again.
          if (writes !== before) await new Promise(resolve => setTimeout(resolve, 100))
        })
      })
  }
}
