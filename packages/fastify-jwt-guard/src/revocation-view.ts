/**
 * The in-memory view of every live revocation, answering isRevoked() in O(1) with no I/O on the
 * request path. It is fed by a RevocationFeed and knows how far behind the producer it is: it
 * counts itself fresh only for maxStalenessMs after a heartbeat that vouches for the snapshot it
 * loaded (same epoch, no broadcast missed). With no heartbeat (the producer is down, cut off from
 * Redis, or Redis lost its data) it reports itself stale, and the guard fails closed (503).
 */
import type { RevocationEntry, RevocationFeed, RevocationHeartbeat } from '@latchkey/contracts'
import { parseSid, SessionSet, type ParsedSid } from './session-set.js'

const TICK_MS = 500
const PURGE_INTERVAL_MS = 30_000

/**
 * Expiries are kept in whole epoch seconds, rounded up (an entry outlives its expiry by less than
 * a second, never the other way): a small integer sits inline in a Map or an object, where epoch
 * ms would be a boxed heap number per entry.
 */
function toSeconds (epochMs: number): number {
  return Math.ceil(epochMs / 1000)
}

export interface RevocationViewOptions {
  /** How long after the last accepted heartbeat the view stays fresh. Default 10 000 ms. */
  maxStalenessMs?: number
  /** Clock in epoch ms. Default Date.now. */
  now?: () => number
  /** Called once per newly withdrawn signing key (see KeySource.keySetChanged). */
  onKeyRevoked?: (kid: string) => void
}

interface AccountRevocation {
  minVersion: number
  expiresAtS: number
}

export class RevocationView {
  readonly #feed: RevocationFeed
  readonly #maxStalenessMs: number
  readonly #now: () => number
  readonly #onKeyRevoked: ((kid: string) => void) | undefined
  /** sid → expiry (epoch s), compact: a million entries are off the V8 heap. */
  readonly #sessions = new SessionSet()
  readonly #accounts = new Map<string, AccountRevocation>()
  /** Withdrawn signing keys: kid → expiry (epoch s). */
  readonly #keys = new Map<string, number>()
  /** When the last accepted heartbeat arrived (local clock: no clock skew between hosts). */
  #freshAt = Number.NEGATIVE_INFINITY
  /** Bumped whenever broadcasts may have been missed; a reload only counts if none happened meanwhile. */
  #generation = 0
  #loadedGeneration = -1
  #loadedEpoch: string | undefined
  /** The epoch of a heartbeat that asked for a reload, so one new epoch asks only once. */
  #requestedEpoch: string | undefined
  /** Highest sequence number known applied: from the snapshot, then from each broadcast. */
  #appliedSeq = 0
  /** Highest broadcast seq seen since the running reload began (it may be past the snapshot's). */
  #seqSinceReload = 0
  #reloading = false
  #unsubscribe: (() => void) | undefined
  #tick: NodeJS.Timeout | undefined
  #purge: NodeJS.Timeout | undefined

  constructor (feed: RevocationFeed, options: RevocationViewOptions = {}) {
    this.#feed = feed
    this.#maxStalenessMs = options.maxStalenessMs ?? 10_000
    this.#now = options.now ?? Date.now
    this.#onKeyRevoked = options.onKeyRevoked
  }

  /** Subscribes, then loads everything. Never throws for an unreachable feed: stays stale and retries. */
  async start (): Promise<void> {
    if (this.#unsubscribe !== undefined) return
    // Subscribe before loading, so nothing published during the load is lost.
    this.#unsubscribe = this.#feed.subscribe({
      onEntry: (entry, seq) => { this.#onBroadcast(entry, seq) },
      onHeartbeat: heartbeat => { this.#onHeartbeat(heartbeat) },
      onResync: () => { this.#resync() }
    })
    this.#tick = setInterval(() => { this.#onTick() }, TICK_MS)
    this.#tick.unref()
    this.#purge = setInterval(() => { this.purgeExpired() }, PURGE_INTERVAL_MS)
    this.#purge.unref()
    await this.#reload()
  }

  apply (entry: RevocationEntry): void {
    if (entry.expiresAt <= this.#now()) return
    const expiresAtS = toSeconds(entry.expiresAt)
    if (entry.kind === 'session') {
      this.#sessions.add(entry.sid, expiresAtS)
      return
    }
    if (entry.kind === 'key') {
      const known = this.#keys.get(entry.kid)
      if (known === undefined || known < expiresAtS) this.#keys.set(entry.kid, expiresAtS)
      if (known === undefined) this.#onKeyRevoked?.(entry.kid)
      return
    }
    const known = this.#accounts.get(entry.sub)
    if (known === undefined) {
      this.#accounts.set(entry.sub, { minVersion: entry.minVersion, expiresAtS })
      return
    }
    // Keeping both maxima never un-revokes a token: the larger minVersion covers every smaller one.
    if (entry.minVersion > known.minVersion) known.minVersion = entry.minVersion
    if (expiresAtS > known.expiresAtS) known.expiresAtS = expiresAtS
  }

  /**
   * tokenVersion: the token's `tv` claim. An entry past its expiry still counts until purged (fail
   * closed). A caller that checks one sid often passes it parsed once with parseSid().
   */
  isRevoked (sid: string | ParsedSid, sub: string, tokenVersion: number): boolean {
    if (this.#sessions.has(typeof sid === 'string' ? parseSid(sid) : sid)) return true
    const account = this.#accounts.get(sub)
    return account !== undefined && tokenVersion < account.minVersion
  }

  /** Whether the signing key `kid` was withdrawn: its tokens are refused, cached or not. */
  isKeyRevoked (kid: string): boolean {
    return this.#keys.size > 0 && this.#keys.has(kid)
  }

  /** One comparison per request: the heartbeat bookkeeping happens when heartbeats arrive. */
  isStale (): boolean {
    return this.#now() - this.#freshAt >= this.#maxStalenessMs
  }

  get size (): { sessions: number, accounts: number } {
    return { sessions: this.#sessions.size, accounts: this.#accounts.size }
  }

  /** Ms since the last accepted heartbeat (Infinity before the first). */
  get ageMs (): number {
    return this.#now() - this.#freshAt
  }

  /** The highest broadcast sequence number this view has applied. */
  get appliedSeq (): number {
    return this.#appliedSeq
  }

  /**
   * Resolves true once the view is fresh, or false after timeoutMs: a service starts answering
   * as soon as it can check revocations, and still starts (answering 503) when it cannot.
   */
  async whenFresh (timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (this.isStale()) {
      if (Date.now() >= deadline) return false
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    return true
  }

  /** Drops entries past their expiry; runs on a timer, public for tests and tooling. */
  purgeExpired (): void {
    const nowS = this.#now() / 1000
    this.#sessions.purge(nowS)
    for (const [sub, account] of this.#accounts) if (account.expiresAtS <= nowS) this.#accounts.delete(sub)
    for (const [kid, expiresAtS] of this.#keys) if (expiresAtS <= nowS) this.#keys.delete(kid)
  }

  async close (): Promise<void> {
    clearInterval(this.#tick)
    clearInterval(this.#purge)
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
  }

  #onBroadcast (entry: RevocationEntry, seq: number): void {
    this.apply(entry)
    if (seq > this.#appliedSeq) this.#appliedSeq = seq
    if (seq > this.#seqSinceReload) this.#seqSinceReload = seq
  }

  #onHeartbeat (heartbeat: RevocationHeartbeat): void {
    if (this.#loadedGeneration !== this.#generation) return
    if (heartbeat.epoch !== this.#loadedEpoch) {
      // The store was seeded again (after data loss, or for the first time): what was loaded may
      // lack entries the seed wrote without broadcasting them. Reload once per new epoch.
      if (heartbeat.epoch !== this.#requestedEpoch) {
        this.#requestedEpoch = heartbeat.epoch
        this.#resync()
      }
      return
    }
    if (heartbeat.seq > this.#appliedSeq) {
      // A broadcast was published before this heartbeat but never reached us.
      this.#resync()
      return
    }
    this.#freshAt = this.#now()
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
    if (!loaded) void this.#reload()
  }

  async #reload (): Promise<void> {
    if (this.#reloading || this.#unsubscribe === undefined) return
    this.#reloading = true
    try {
      // A resync during a load means that load may predate missed broadcasts: load again.
      while (this.#loadedGeneration !== this.#generation) {
        const generation = this.#generation
        this.#seqSinceReload = 0
        // Applied page by page as they arrive; a load that fails halfway leaves true revocations
        // applied, and the view still unloaded (stale) until a load completes.
        const snapshot = await this.#feed.loadAll(entries => { for (const entry of entries) this.apply(entry) })
        this.#loadedEpoch = snapshot.epoch
        this.#appliedSeq = Math.max(snapshot.seq, this.#seqSinceReload)
        this.#loadedGeneration = generation
      }
    } catch {
      // Stay unloaded; the next tick retries.
    } finally {
      this.#reloading = false
    }
  }
}
