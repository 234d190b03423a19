/**
 * The contract between whoever records revocations (auth service) and every view of them: a
 * durable store plus a broadcast, with a Redis and an in-process implementation behind it.
 */
import type { RevocationEntry } from './revocation-entry.js'

export interface RevocationFeed {
  /** Durably record entries (pruning expired ones) and broadcast them to every subscriber. */
  publish (entries: RevocationEntry[]): Promise<void>
  /** Every non-expired entry in the durable store. */
  loadAll (): Promise<RevocationEntry[]>
  /**
   * Listen for published entries. `onResync` is called whenever the feed (re)connected: the
   * listener may have missed broadcasts and must reload everything. Returns an unsubscribe function.
   */
  subscribe (onEntry: (entry: RevocationEntry) => void, onResync: () => void): () => void
  /** True while the durable store holds the marker written by markSeeded() (false after data loss). */
  isSeeded (): Promise<boolean>
  markSeeded (): Promise<void>
  /** Whether the feed has a live connection right now (in-process: always). */
  isConnected (): boolean
  close (): Promise<void>
}
