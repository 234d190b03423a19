/** The Redis layout of the revocation feed: one place names every key (all under REDIS_PREFIX). */

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

export function revocationKeys (prefix: string): RevocationKeys {
  return {
    sessions: `${prefix}revoked:sessions`,
    // Named for its unit: members written when cut-offs were times must never be read as versions.
    accounts: `${prefix}revoked:account-versions`,
    seeded: `${prefix}revoked:seeded`,
    seq: `${prefix}revoked:seq`,
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
