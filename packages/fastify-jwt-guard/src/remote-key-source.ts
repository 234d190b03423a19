/**
 * Keys fetched from the auth service's JWKS endpoint: cached, refreshed periodically, and
 * refetched for an unknown kid (a key published since the last fetch) at most once per refetchIntervalMs, so a flood
 * of tokens with made-up kids cannot turn into a flood of requests.
 *
 * An unknown kid is only "no such key" when the latest fetch succeeded. While the JWKS cannot be
 * fetched, a token signed with a key we have not seen may be perfectly valid: getKey rejects with
 * KeysUnavailableError, which the guard answers 503, never 401 (fail closed, but honestly).
 */
import type { KeyObject } from 'node:crypto'
import { importJwks, KeysUnavailableError, type KeySource } from './key-source.js'

const FETCH_TIMEOUT_MS = 5_000
const MAX_JWKS_BYTES = 256 * 1024

export interface RemoteKeySourceOptions {
  url: string
  /** Minimum gap between refetches triggered by an unknown kid. Default 10 000 ms. */
  refetchIntervalMs?: number
  /** Periodic refresh. Default 300 000 ms. */
  refreshMs?: number
  fetch?: typeof fetch
}

export interface RemoteKeySource extends KeySource {
  /** Resolves after the first successful fetch; rejects when the first fetch fails. */
  ready (): Promise<void>
  keySetChanged (): void
  close (): void
}

export function createRemoteKeySource (options: RemoteKeySourceOptions): RemoteKeySource {
  const refetchIntervalMs = options.refetchIntervalMs ?? 10_000
  const doFetch = options.fetch ?? globalThis.fetch
  let keys = new Map<string, KeyObject>()
  let lastFetchAt = Number.NEGATIVE_INFINITY
  let lastFetchOk = false
  let inFlight: Promise<void> | undefined

  async function fetchKeys (): Promise<void> {
    const response = await doFetch(options.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } })
    if (!response.ok) throw new Error(`JWKS fetch answered ${response.status}`)
    const body = await response.text()
    if (body.length > MAX_JWKS_BYTES) throw new Error('JWKS is too large')
    keys = importJwks(JSON.parse(body))
  }

  /**
   * One fetch at a time; concurrent callers share it. Only fetches for an unknown kid count
   * against the rate limit: the periodic refresh must not make a newly published key wait.
   */
  function refetch (forUnknownKid: boolean): Promise<void> {
    if (inFlight !== undefined) return inFlight
    if (forUnknownKid) lastFetchAt = Date.now()
    inFlight = fetchKeys().then(
      () => { lastFetchOk = true },
      (error: unknown) => { lastFetchOk = false; throw error }
    ).finally(() => { inFlight = undefined })
    return inFlight
  }

  const unavailable = (): Promise<never> => Promise.reject(new KeysUnavailableError())

  const first = refetch(true)
  first.catch(() => {})
  const refresher = setInterval(() => { refetch(false).catch(() => {}) }, options.refreshMs ?? 300_000)
  refresher.unref()

  return {
    getKey (kid) {
      const key = keys.get(kid)
      if (key !== undefined) return key
      if (inFlight === undefined && Date.now() - lastFetchAt < refetchIntervalMs) return lastFetchOk ? undefined : unavailable()
      return refetch(true).then(() => keys.get(kid), unavailable)
    },
    hasKey (kid) { return keys.has(kid) },
    keySetChanged () {
      refetch(false).catch(() => {})
      lastFetchAt = Number.NEGATIVE_INFINITY
    },
    ready () { return first },
    close () { clearInterval(refresher) }
  }
}
