/** The Redis layout of the revocation feed: one place names every key (all under REDIS_PREFIX). */

export interface RevocationKeys {
  /** ZSET member = sid, score = expiresAt (epoch ms). */
  sessions: string
  /** ZSET member = `${sub}:${notBefore}`, score = expiresAt (epoch ms). */
  accounts: string
  /** Plain key; present once the store was seeded from the source of truth. */
  seeded: string
  /** Pub/sub channel; each message is the JSON of one RevocationEntry. */
  channel: string
}

export function revocationKeys (prefix: string): RevocationKeys {
  return {
    sessions: `${prefix}revoked:sessions`,
    accounts: `${prefix}revoked:accounts`,
    seeded: `${prefix}revoked:seeded`,
    channel: `${prefix}revocations`
  }
}

export function accountMember (sub: string, notBefore: number): string {
  return `${sub}:${notBefore}`
}

/** Splits an accounts member back into sub and notBefore (sub may itself contain ':'). */
export function parseAccountMember (member: string): { sub: string, notBefore: number } | undefined {
  const colon = member.lastIndexOf(':')
  if (colon <= 0) return undefined
  const notBefore = Number(member.slice(colon + 1))
  if (!Number.isSafeInteger(notBefore)) return undefined
  return { sub: member.slice(0, colon), notBefore }
}
