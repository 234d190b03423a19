/**
 * The contract between whoever records revocations (the auth service's relay) and every view of
 * them: a store plus a broadcast, with a Redis and an in-process implementation behind it.
 *
 * Freshness is the producer's word, not the subscriber's: the relay sends a heartbeat only when
 * every durable revocation is in the store, and only while the store is still the one it seeded
 * (its epoch). A view that hears no heartbeat knows it may be behind and fails closed.
 */
import type { RevocationEntry } from './revocation-entry.js'

export interface RevocationHeartbeat {
  /** The store's identity, set when it was (re)seeded; a new epoch means: reload everything. */
  epoch: string
  /** Broadcasts published into this store so far; a view that applied fewer missed some. */
  seq: number
}

export interface RevocationSnapshot {
  entries: RevocationEntry[]
  /** undefined while the store is not seeded (never was, or lost its data). */
  epoch: string | undefined
  /** The store's broadcast count when the snapshot began: every entry up to it is in `entries`. */
  seq: number
}

export interface RevocationListener {
  /** seq: the broadcast's place in the store's sequence. */
  onEntry (entry: RevocationEntry, seq: number): void
  onHeartbeat (heartbeat: RevocationHeartbeat): void
  /** The feed (re)connected: broadcasts may have been missed; reload everything. */
  onResync (): void
}

export interface RevocationFeed {
  /** Producer: records entries in the store (pruning expired ones) and broadcasts each with its seq. */
  publish (entries: RevocationEntry[]): Promise<void>
  /** Producer: writes every entry of the source of truth (no broadcast), then marks the store seeded with a new epoch, which it returns. */
  seed (entries: RevocationEntry[]): Promise<string>
  /** The epoch the store is seeded with, or undefined when it is not (data loss: seed again). */
  currentEpoch (): Promise<string | undefined>
  /** Producer: broadcasts a heartbeat if, atomically, the store is still seeded with `epoch`. False otherwise. */
  heartbeat (epoch: string): Promise<boolean>
  /** Consumer: every non-expired entry of the store, with the store's epoch and seq. */
  loadAll (): Promise<RevocationSnapshot>
  /** Consumer: returns an unsubscribe function. */
  subscribe (listener: RevocationListener): () => void
  /** Whether the feed has a live connection right now (in-process: always). */
  isConnected (): boolean
  close (): Promise<void>
}
