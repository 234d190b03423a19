/**
 * The revocation protocol between the auth service, which records revocations, and every guard's
 * view of them, over Redis or in process: the entry (and the one parser that decides whether
 * something read off the wire is one), the Redis layout, the channel's messages, and the two
 * sides of the feed. Pure data and types: the guard (@latchkey/fastify-jwt-guard) reads, the
 * publisher (@latchkey/revocation-publisher) writes, and neither imports the other.
 *
 * Freshness is the producer's word, not the subscriber's: the relay sends a heartbeat only when
 * every durable revocation is in the store, and only while the store is still the one it seeded
 * (its epoch). A view that hears no heartbeat knows it may be behind and fails closed.
 */

export type RevocationEntry =
  /** expiresAt: epoch ms after which no token of this session can still be live. */
  | { kind: 'session', sid: string, expiresAt: number }
  /** Tokens of this account whose token version (claim `tv`) is below minVersion are revoked. expiresAt: epoch ms. */
  | { kind: 'account', sub: string, minVersion: number, expiresAt: number }
  /** Every token signed with this key is refused, even from a verified-token cache (emergency key rotation). expiresAt: epoch ms. */
  | { kind: 'key', kid: string, expiresAt: number }

const MAX_ID_LENGTH = 128

function isId (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH
}

function isTime (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

const isCount = isTime

/** The entry in `value`, or undefined when it is not exactly a well-formed entry. */
export function parseRevocationEntry (value: unknown): RevocationEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  if (record.kind === 'session' && isId(record.sid) && isTime(record.expiresAt)) {
    return { kind: 'session', sid: record.sid, expiresAt: record.expiresAt }
  }
  if (record.kind === 'account' && isId(record.sub) && isCount(record.minVersion) && isTime(record.expiresAt)) {
    return { kind: 'account', sub: record.sub, minVersion: record.minVersion, expiresAt: record.expiresAt }
  }
  if (record.kind === 'key' && isId(record.kid) && isTime(record.expiresAt)) {
    return { kind: 'key', kid: record.kid, expiresAt: record.expiresAt }
  }
  return undefined
}

/**
 * The Redis layout of the revocation feed: one place names every key (all under REDIS_PREFIX). The
 * publish and heartbeat scripts and the loader's MGET use several of them at once, so in Redis
 * Cluster they share one hash slot: `slot` turns their common part into a hash tag there (and
 * leaves it as it is elsewhere, see @latchkey/redis-kit's sameSlot).
 */
export interface RevocationKeys {
  /** ZSET member = sid, or `key:${kid}` for a withdrawn signing key (a sid is a UUID), score = expiresAt (epoch ms). */
  sessions: string
  /** ZSET member = `${sub}:${minVersion}`, score = expiresAt (epoch ms). */
  accounts: string
  /** String: the epoch the store was seeded with; absent after Redis lost its data. */
  seeded: string
  /** String: how many entries were broadcast into this store (the sequence). */
  seq: string
  /** Pub/sub channel; each message is one RevocationMessage (an entry with its seq, or a heartbeat). */
  channel: string
}

export function revocationKeys (prefix: string, slot: (part: string) => string = part => part): RevocationKeys {
  const store = `${prefix}${slot('revoked')}`
  return {
    sessions: `${store}:sessions`,
    // Named for its unit: members written when cut-offs were times must never be read as versions.
    accounts: `${store}:account-versions`,
    seeded: `${store}:seeded`,
    seq: `${store}:seq`,
    channel: `${prefix}revocations`
  }
}

export function accountMember (sub: string, minVersion: number): string {
  return `${sub}:${minVersion}`
}

/** Splits an accounts member back into sub and minVersion (sub may itself contain ':'). */
export function parseAccountMember (member: string): { sub: string, minVersion: number } | undefined {
  const colon = member.lastIndexOf(':')
  if (colon <= 0) return undefined
  const minVersion = Number(member.slice(colon + 1))
  if (!Number.isSafeInteger(minVersion)) return undefined
  return { sub: member.slice(0, colon), minVersion }
}

const KEY_MEMBER_PREFIX = 'key:'

export function keyMember (kid: string): string {
  return `${KEY_MEMBER_PREFIX}${kid}`
}

/** The kid of a withdrawn-key member of the sessions set, undefined for a session's member. */
export function parseKeyMember (member: string): string | undefined {
  return member.startsWith(KEY_MEMBER_PREFIX) ? member.slice(KEY_MEMBER_PREFIX.length) : undefined
}

/** A message on the revocation channel: an entry with its place in the store's sequence, or the producer's heartbeat. */
export type RevocationMessage =
  | { type: 'entry', seq: number, entry: RevocationEntry }
  | ({ type: 'heartbeat' } & RevocationHeartbeat)

const MAX_EPOCH_LENGTH = 64

export function parseRevocationMessage (message: string): RevocationMessage | undefined {
  let value: unknown
  try {
    value = JSON.parse(message)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  if (!isCount(record.seq)) return undefined
  if (record.type === 'entry') {
    const entry = parseRevocationEntry(record.entry)
    return entry === undefined ? undefined : { type: 'entry', seq: record.seq, entry }
  }
  if (record.type === 'heartbeat' && typeof record.epoch === 'string' && record.epoch.length > 0 && record.epoch.length <= MAX_EPOCH_LENGTH) {
    return { type: 'heartbeat', epoch: record.epoch, seq: record.seq }
  }
  return undefined
}

export interface RevocationHeartbeat {
  /** The store's identity, set when it was (re)seeded; a new epoch means: reload everything. */
  epoch: string
  /** Broadcasts published into this store so far; a view that applied fewer missed some. */
  seq: number
}

export interface RevocationSnapshot {
  /** undefined while the store is not seeded (never was, or lost its data). */
  epoch: string | undefined
  /** The store's broadcast count when the load began: every entry up to it was handed over. */
  seq: number
}

export interface RevocationListener {
  /** seq: the broadcast's place in the store's sequence. */
  onEntry (entry: RevocationEntry, seq: number): void
  onHeartbeat (heartbeat: RevocationHeartbeat): void
  /** The feed (re)connected: broadcasts may have been missed; reload everything. */
  onResync (): void
}

/** The read side, what every guard's view holds: a snapshot of the store, then its broadcasts. */
export interface RevocationFeed {
  /**
   * Hands every non-expired entry of the store to onPage, a page at a time as it is read (a
   * million entries never sit in memory beside the view that takes them), then resolves with
   * the store's epoch and seq. After a rejection, some pages may have been handed over already.
   */
  loadAll (onPage: (entries: RevocationEntry[]) => void): Promise<RevocationSnapshot>
  /** Returns an unsubscribe function. */
  subscribe (listener: RevocationListener): () => void
  /** Whether the feed has a live connection right now (in-process: always). */
  isConnected (): boolean
  close (): Promise<void>
}

/** The write side, the auth service's alone (@latchkey/revocation-publisher implements it). */
export interface RevocationPublisher {
  /** Records entries in the store (pruning expired ones) and broadcasts each with its seq. */
  publish (entries: RevocationEntry[]): Promise<void>
  /** Writes every entry of the source of truth (no broadcast), then marks the store seeded with a new epoch, which it returns. */
  seed (entries: RevocationEntry[]): Promise<string>
  /** The epoch the store is seeded with, or undefined when it is not (data loss: seed again). */
  currentEpoch (): Promise<string | undefined>
  /** Broadcasts a heartbeat if, atomically, the store is still seeded with `epoch`. False otherwise. */
  heartbeat (epoch: string): Promise<boolean>
  close (): Promise<void>
}
