/**
 * The in-memory view of every live revocation, answering isRevoked() in O(1) with no I/O on the
 * request path. It is fed by a RevocationFeed and knows how fresh it is: when it cannot confirm
 * its feed for maxStalenessMs it reports itself stale, and the guard then fails closed (503).
 */
import type { RevocationEntry } from './revocation-entry.js'
import type { RevocationFeed } from './revocation-feed.js'

const TICK_MS = 500
const PURGE_INTERVAL_MS = 30_000

export interface RevocationViewOptions {
  /** How long the view may go unconfirmed before it is stale. Default 10 000 ms. */
  maxStalenessMs?: number
  /** Clock in epoch ms. Default Date.now. */
  now?: () => number
}

interface AccountRevocation {
  minVersion: number
  expiresAt: number
}

export class RevocationView {
  readonly #feed: RevocationFeed
  readonly #maxStalenessMs: number
  readonly #now: () => number
  readonly #sessions = new Map<string, number>()
  readonly #accounts = new Map<string, AccountRevocation>()
  #freshAt = Number.NEGATIVE_INFINITY
  /** Bumped whenever broadcasts may have been missed; a reload only counts if none happened meanwhile. */
  #generation = 0
  #loadedGeneration = -1
  #reloading = false
  #unsubscribe: (() => void) | undefined
  #tick: NodeJS.Timeout | undefined
  #purge: NodeJS.Timeout | undefined

  constructor (feed: RevocationFeed, options: RevocationViewOptions = {}) {
    this.#feed = feed
    this.#maxStalenessMs = options.maxStalenessMs ?? 10_000
    this.#now = options.now ?? Date.now
  }

  /** Subscribes, then loads everything. Never throws for an unreachable feed: stays stale and retries. */
  async start (): Promise<void> {
    if (this.#unsubscribe !== undefined) return
    // Subscribe before loading, so nothing published during the load is lost.
    this.#unsubscribe = this.#feed.subscribe(entry => { this.apply(entry) }, () => { this.#resync() })
    this.#tick = setInterval(() => { this.#onTick() }, TICK_MS)
    this.#tick.unref()
    this.#purge = setInterval(() => { this.purgeExpired() }, PURGE_INTERVAL_MS)
    this.#purge.unref()
    await this.#reload()
  }

  apply (entry: RevocationEntry): void {
    if (entry.expiresAt <= this.#now()) return
    if (entry.kind === 'session') {
      const known = this.#sessions.get(entry.sid)
      if (known === undefined || known < entry.expiresAt) this.#sessions.set(entry.sid, entry.expiresAt)
      return
    }
    const known = this.#accounts.get(entry.sub)
    if (known === undefined) {
      this.#accounts.set(entry.sub, { minVersion: entry.minVersion, expiresAt: entry.expiresAt })
      return
    }
    // Keeping both maxima never un-revokes a token: the larger minVersion covers every smaller one.
    if (entry.minVersion > known.minVersion) known.minVersion = entry.minVersion
    if (entry.expiresAt > known.expiresAt) known.expiresAt = entry.expiresAt
  }

  /** tokenVersion: the token's `tv` claim. An entry past its expiry still counts until purged (fail closed). */
  isRevoked (sid: string, sub: string, tokenVersion: number): boolean {
    if (this.#sessions.has(sid)) return true
    const account = this.#accounts.get(sub)
    return account !== undefined && tokenVersion < account.minVersion
  }

  isStale (): boolean {
    return this.#now() - this.#freshAt >= this.#maxStalenessMs
  }

  get size (): { sessions: number, accounts: number } {
    return { sessions: this.#sessions.size, accounts: this.#accounts.size }
  }

  /** Ms since the view was last confirmed fresh (Infinity before the first successful load). */
  get ageMs (): number {
    return this.#now() - this.#freshAt
  }

  /** Drops entries past their expiry; runs on a timer, public for tests and tooling. */
  purgeExpired (): void {
    const now = this.#now()
    for (const [sid, expiresAt] of this.#sessions) if (expiresAt <= now) this.#sessions.delete(sid)
    for (const [sub, account] of this.#accounts) if (account.expiresAt <= now) this.#accounts.delete(sub)
  }

  async close (): Promise<void> {
    clearInterval(this.#tick)
    clearInterval(this.#purge)
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
  }

  #resync (): void {
    this.#generation++
    void this.#reload()
  }

  #onTick (): void {
    const loaded = this.#loadedGeneration === this.#generation
    if (!this.#feed.isConnected()) {
      // Broadcasts may be lost while disconnected: reload once the feed is back.
      if (loaded) this.#generation++
      return
    }
    if (loaded) this.#freshAt = this.#now()
    else void this.#reload()
  }

  async #reload (): Promise<void> {
    if (this.#reloading || this.#unsubscribe === undefined) return
    this.#reloading = true
    try {
      // A resync during a load means that load may predate missed broadcasts: load again.
      while (this.#loadedGeneration !== this.#generation) {
        const generation = this.#generation
        const entries = await this.#feed.loadAll()
        for (const entry of entries) this.apply(entry)
        this.#loadedGeneration = generation
      }
      if (this.#feed.isConnected()) this.#freshAt = this.#now()
    } catch {
      // Stay stale; the next tick retries.
    } finally {
      this.#reloading = false
    }
  }
}
